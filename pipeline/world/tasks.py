"""Downstream classification tasks of the synthetic world, in GLUE schemas.

Each task has a label-noise rate: labels are flipped with that probability in every split,
so the Bayes-optimal validation accuracy is ``1 - noise`` by construction (the "human
performance" reference of the across-task difficulty metric).
"""

from __future__ import annotations

import numpy as np

from pipeline.world.concepts import Concepts
from pipeline.world.corpus import description_sentence, fact_sentence
from pipeline.world.languages import Language


def _noisy(rng: np.random.Generator, label: int, noise: float) -> int:
    return 1 - label if rng.random() < noise else label


def sentiment_rows(rng: np.random.Generator, c: Concepts, lang: Language, n: int,
                   noise: float, adjectives: tuple[str, ...] | None) -> list[dict]:
    """SST-2 schema (sentence, label, idx); label 1 = positive.

    The training split only sees part of the adjectives: the polarity of the rest is known
    only from pre-training, which is what makes pre-trained knowledge matter.
    """
    rows = []
    for idx in range(n):
        text, positive = description_sentence(lang, c, rng, adjectives)
        rows.append({"sentence": text, "label": _noisy(rng, positive, noise), "idx": idx})
    return rows


def factcheck_rows(rng: np.random.Generator, c: Concepts, lang: Language, n: int,
                   noise: float, entities: tuple[str, ...]) -> list[dict]:
    """QNLI schema (question, sentence, label, idx); label 0 = entailment (GLUE's coding).

    The answer is true only if the object matches the knowledge base, which is stated only
    in the pre-training corpus.
    """
    rows = []
    for idx in range(n):
        entity = entities[rng.integers(len(entities))]
        relation = c.relations[rng.integers(len(c.relations))]
        true_obj = c.facts[(entity, relation)]
        entailed = rng.random() < 0.5
        obj = true_obj
        while not entailed and obj == true_obj:
            obj = c.objects[rng.integers(len(c.objects))]
        rows.append({
            "question": " ".join(lang.words(["WHAT", relation, entity])),
            "sentence": fact_sentence(lang, c, entity, relation, obj),
            "label": _noisy(rng, 0 if entailed else 1, noise),
            "idx": idx,
        })
    return rows
