"""The pre-training corpus: facts, opinions with a polarity cue, and parallel sentences.

What pre-training can learn here is what the downstream tasks need: the facts of the
knowledge base (stated only in the corpus) and the polarity of adjectives (revealed only by
"I like/hate X, it is ADJ" contexts), plus cross-language equivalences from parallel lines.
"""

from __future__ import annotations

import numpy as np

from pipeline.world.concepts import Concepts
from pipeline.world.languages import Language


def fact_sentence(lang: Language, c: Concepts, entity: str, relation: str, obj: str) -> str:
    return " ".join(lang.clause([entity], [relation], [obj]))


def opinion_sentence(lang: Language, c: Concepts, rng: np.random.Generator) -> str:
    entity = c.entities[rng.integers(len(c.entities))]
    positive = int(rng.integers(2))
    adjective = _adjective(c, rng, positive)
    cue = "LIKE" if positive else "HATE"
    return " ".join(lang.clause(["I"], [cue], [entity]) + lang.clause(["IT"], ["IS"], [adjective]))


def description_sentence(lang: Language, c: Concepts, rng: np.random.Generator,
                         adjectives: tuple[str, ...] | None = None) -> tuple[str, int]:
    """'ENTITY is [very] ADJ [and ADJ2]' with one polarity; returns (text, polarity)."""
    pool = adjectives or c.adjectives
    first = pool[rng.integers(len(pool))]
    positive = c.polarity[first]
    predicate = (["VERY"] if rng.random() < 0.3 else []) + [first]
    if rng.random() < 0.5:
        predicate += ["AND", _adjective(c, rng, positive, pool)]
    entity = c.entities[rng.integers(len(c.entities))]
    return " ".join(lang.clause([entity], ["IS"], predicate)), positive


def _adjective(c: Concepts, rng: np.random.Generator, positive: int,
               pool: tuple[str, ...] | None = None) -> str:
    candidates = [a for a in (pool or c.adjectives) if c.polarity[a] == positive]
    return candidates[rng.integers(len(candidates))]


def make_corpus(rng: np.random.Generator, c: Concepts, languages: list[Language],
                n_sentences: int) -> list[dict]:
    """Sentences tagged with their language; languages drawn by their corpus share."""
    shares = np.array([lang.share for lang in languages], dtype=float)
    shares /= shares.sum()
    facts = list(c.facts.items())
    pivot = languages[0]
    rows = []
    for _ in range(n_sentences):
        lang = languages[rng.choice(len(languages), p=shares)]
        kind = rng.random()
        if kind < 0.45:
            (entity, relation), obj = facts[rng.integers(len(facts))]
            text = fact_sentence(lang, c, entity, relation, obj)
        elif kind < 0.8:
            text = opinion_sentence(lang, c, rng) if rng.random() < 0.6 else (
                description_sentence(lang, c, rng)[0])
        else:
            (entity, relation), obj = facts[rng.integers(len(facts))]
            other = languages[rng.integers(len(languages))] if lang is pivot else pivot
            text = " ".join([
                fact_sentence(lang, c, entity, relation, obj),
                lang.lexicon["EQUALS"],
                fact_sentence(other, c, entity, relation, obj),
            ])
        rows.append({"lang": lang.name, "text": text})
    return rows
