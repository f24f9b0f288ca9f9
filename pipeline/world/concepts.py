"""The shared concept inventory and knowledge base every language expresses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Function concepts used by the sentence templates.
FUNCTION_CONCEPTS = ("IS", "AND", "VERY", "LIKE", "HATE", "I", "IT", "WHAT", "EQUALS", "NOT")


@dataclass(frozen=True)
class Concepts:
    """Concept ids by kind, plus the facts and the adjective polarities."""

    entities: tuple[str, ...]
    relations: tuple[str, ...]
    objects: tuple[str, ...]
    adjectives: tuple[str, ...]
    polarity: dict[str, int]  # adjective -> 1 (positive) / 0 (negative)
    facts: dict[tuple[str, str], str]  # (entity, relation) -> object

    @property
    def all(self) -> tuple[str, ...]:
        return FUNCTION_CONCEPTS + self.entities + self.relations + self.objects + self.adjectives


def make_concepts(
    rng: np.random.Generator, n_entities: int, n_relations: int, n_objects: int, n_adjectives: int
) -> Concepts:
    entities = tuple(f"E{i}" for i in range(n_entities))
    relations = tuple(f"R{i}" for i in range(n_relations))
    objects = tuple(f"O{i}" for i in range(n_objects))
    adjectives = tuple(f"A{i}" for i in range(n_adjectives))
    polarity = {a: int(i % 2 == 0) for i, a in enumerate(adjectives)}
    keys = [(e, r) for e in entities for r in relations]
    # Every object answers at least one fact (when there are as many facts): an object no
    # fact names never occurs in the corpus, and a task asking about it tests nothing.
    extra = rng.integers(n_objects, size=max(0, len(keys) - n_objects))
    answers = np.concatenate([rng.permutation(n_objects), extra])[: len(keys)]
    rng.shuffle(answers)
    facts = {key: objects[int(a)] for key, a in zip(keys, answers, strict=True)}
    return Concepts(entities, relations, objects, adjectives, polarity, facts)
