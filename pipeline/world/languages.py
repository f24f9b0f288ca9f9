"""Artificial languages: an own surface vocabulary and an own word order per language."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"

# Roles of the clause templates; each language orders them its own way.
CLAUSE_ROLES = ("subject", "verb", "object")
_ORDERS = tuple(permutations(range(3)))


@dataclass(frozen=True)
class Language:
    name: str
    share: float  # share of the pre-training corpus
    lexicon: dict[str, str]  # concept -> surface word
    order: tuple[int, int, int]  # permutation of CLAUSE_ROLES

    def clause(self, subject: list[str], verb: list[str], obj: list[str]) -> list[str]:
        """Render a subject-verb-object clause of concepts in this language's order."""
        parts = (subject, verb, obj)
        return [self.lexicon[c] for i in self.order for c in parts[i]]

    def words(self, concepts: list[str]) -> list[str]:
        return [self.lexicon[c] for c in concepts]

    @property
    def object_position(self) -> int:
        """Where a one-word object stands in this language's one-word-per-role clause (the
        word answer prompts mask)."""
        return self.order.index(CLAUSE_ROLES.index("object"))


def _word(rng: np.random.Generator, syllables: int) -> str:
    return "".join(
        _CONSONANTS[rng.integers(len(_CONSONANTS))] + _VOWELS[rng.integers(len(_VOWELS))]
        for _ in range(syllables)
    )


def new_words(rng: np.random.Generator, n: int, used: set[str]) -> list[str]:
    """``n`` fresh surface words, none in ``used`` (which gains them)."""
    words = []
    for _ in range(n):
        word = _word(rng, 3)
        while word in used:
            word = _word(rng, 3)
        used.add(word)
        words.append(word)
    return words


def make_languages(
    rng: np.random.Generator, concepts: tuple[str, ...], shares: dict[str, float]
) -> list[Language]:
    """One language per entry of ``shares``; surface words are unique across languages."""
    used: set[str] = set()
    languages = []
    for i, (name, share) in enumerate(shares.items()):
        lexicon = dict(zip(concepts, new_words(rng, len(concepts), used), strict=True))
        order = _ORDERS[i % len(_ORDERS)] if i else (0, 1, 2)
        languages.append(Language(name, share, lexicon, order))
    return languages
