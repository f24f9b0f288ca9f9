"""Is a task solvable from the input embeddings alone? A linear probe says.

Pruning acts on the transformer blocks, never on the embeddings (pipeline/compress/
prunable.py). A task meant to measure the knowledge pruning removes must therefore not be
solvable by a linear read-out of the (unpruned) word embeddings: this module fits a
logistic regression on the mean-pooled input embeddings of a task's training rows and
scores it on the validation rows. The embeddings are a pre-trained model's, or an
"oracle" that hands each word everything the world knows about it (its identity and its
polarity), the most any embedding could hold.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def model_embeddings(model_dir: str | Path) -> Callable[[str], np.ndarray]:
    """word -> the model's input embedding of its token (the unpruned embedding matrix)."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    weights = AutoModel.from_pretrained(str(model_dir)).get_input_embeddings().weight
    matrix = weights.detach().numpy()
    return lambda word: matrix[tokenizer.convert_tokens_to_ids(word)]


def oracle_embeddings(world_dir: str | Path, *languages: str) -> Callable[[str], np.ndarray]:
    """word -> one-hot identity of its concept (shared by the ``languages``' words for it:
    the oracle also knows every translation) plus polarity (+1/-1 for adjectives, 0
    otherwise)."""
    from pipeline.io import read_json

    lexicons = read_json(Path(world_dir) / "lexicon.json")
    concept_of = {word: c for lang in languages for c, word in lexicons[lang].items()}
    index = {c: i for i, c in enumerate(sorted(set(concept_of.values())))}
    polarity = {
        c: 1.0 if positive else -1.0
        for c, positive in read_json(Path(world_dir) / "world.json")["polarity"].items()
    }

    def embed(word: str) -> np.ndarray:
        vector = np.zeros(len(index) + 1)
        if word in concept_of:
            vector[index[concept_of[word]]] = 1.0
            vector[-1] = polarity.get(concept_of[word], 0.0)
        return vector

    return embed


def pooled(rows: list[dict], text_fields: tuple[str, ...], embed: Callable) -> np.ndarray:
    """Mean of the word embeddings of each row's text fields (all fields together)."""
    return np.stack(
        [np.mean([embed(w) for f in text_fields for w in row[f].split()], axis=0) for row in rows]
    )


def probe_accuracy(
    train: list[dict], validation: list[dict], text_fields: tuple[str, ...], embed: Callable
) -> float:
    """Validation accuracy of a logistic regression on mean-pooled input embeddings."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(pooled(train, text_fields, embed))
    probe = LogisticRegression(max_iter=2000).fit(
        scaler.transform(pooled(train, text_fields, embed)), [r["label"] for r in train]
    )
    predictions = probe.predict(scaler.transform(pooled(validation, text_fields, embed)))
    return float(np.mean(predictions == np.array([r["label"] for r in validation])))


def majority_rate(rows: list[dict[str, Any]]) -> float:
    labels = [r["label"] for r in rows]
    return max(labels.count(v) for v in set(labels)) / len(labels)
