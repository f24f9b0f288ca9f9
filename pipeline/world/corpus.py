"""The pre-training corpus: facts, opinions with a polarity cue, and parallel sentences.

What pre-training can learn here is what the downstream tasks need: the facts of the
knowledge base (stated only in the corpus) and the polarity of adjectives (revealed only by
"I like/hate X, it is ADJ" contexts), plus cross-language equivalences from parallel lines.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from pipeline.world.concepts import Concepts
from pipeline.world.languages import Language

# Shares of the corpus's kinds of row: fact statements, opinions and descriptions (the
# adjectives' polarity), parallel fact lines (translation), QA-format lines (pivot).
CORPUS_MIX = {"facts": 0.4, "opinions": 0.3, "parallel": 0.2, "qa": 0.1}


def fact_sentence(lang: Language, c: Concepts, entity: str, relation: str, obj: str) -> str:
    return " ".join(lang.clause([entity], [relation], [obj]))


def opinion_sentence(lang: Language, c: Concepts, rng: np.random.Generator) -> str:
    entity = c.entities[rng.integers(len(c.entities))]
    positive = int(rng.integers(2))
    adjective = _adjective(c, rng, positive)
    cue = "LIKE" if positive else "HATE"
    return " ".join(lang.clause(["I"], [cue], [entity]) + lang.clause(["IT"], ["IS"], [adjective]))


def description_sentence(
    lang: Language,
    c: Concepts,
    rng: np.random.Generator,
    adjectives: tuple[str, ...] | None = None,
    entity: str | None = None,
    negation_rate: float = 0.0,
) -> tuple[str, int]:
    """'ENTITY is [not] [very] ADJ [and ADJ2]'; returns (text, polarity of the sentence).

    With ``negation_rate`` the predicate is negated that often and the sentence's polarity
    is the adjectives' flipped: polarity then lives in the composition (adjective XOR "not"),
    which no linear read-out of the summed word embeddings can compute, so a task built on
    it needs the transformer blocks (tests/test_embedding_probe.py)."""
    text, positive, _ = description(lang, c, rng, adjectives, entity, negation_rate)
    return text, positive


def description(
    lang: Language,
    c: Concepts,
    rng: np.random.Generator,
    adjectives: tuple[str, ...] | None = None,
    entity: str | None = None,
    negation_rate: float = 0.0,
) -> tuple[str, int, str]:
    """:func:`description_sentence` and the adjective whose polarity it states (the
    sentence's knowledge item: a second adjective has the same polarity)."""
    pool = adjectives or c.adjectives
    first = pool[rng.integers(len(pool))]
    positive = c.polarity[first]
    predicate = (["VERY"] if rng.random() < 0.3 else []) + [first]
    if rng.random() < 0.5:
        predicate += ["AND", _adjective(c, rng, positive, pool)]
    if negation_rate and rng.random() < negation_rate:
        predicate, positive = ["NOT", *predicate], 1 - positive
    if entity is None:
        entity = c.entities[rng.integers(len(c.entities))]
    return " ".join(lang.clause([entity], ["IS"], predicate)), positive, first


def _adjective(
    c: Concepts, rng: np.random.Generator, positive: int, pool: tuple[str, ...] | None = None
) -> str:
    candidates = [a for a in (pool or c.adjectives) if c.polarity[a] == positive]
    return candidates[rng.integers(len(candidates))]


def qa_line(
    lang: Language, c: Concepts, entity: str, relation: str, distractors: list[str] | None
) -> str:
    """A question in the paper's prompt format followed by its answer. With ``distractors``
    (other fact sentences) it is open-book: the evidence comes first, then the distractors,
    as in the TriviaQA rows (wiki context, then search context)."""
    from pipeline.tasks.prompts import closed_book_prompt, open_book_prompt

    question = " ".join(lang.words(["WHAT", relation, entity]))
    answer = c.facts[(entity, relation)]
    if distractors is None:
        prompt = closed_book_prompt(question)
    else:
        evidence = " ".join([fact_sentence(lang, c, entity, relation, answer), *distractors])
        prompt = open_book_prompt(question, evidence)
    return f"{prompt} {lang.lexicon[answer]}"


def make_corpus(
    rng: np.random.Generator,
    c: Concepts,
    languages: list[Language],
    n_sentences: int,
    qa_entities: tuple[str, ...],
    fact_counts: Counter | None = None,
    zipf_exponent: float = 1.0,
    mix: dict[str, float] | None = None,
) -> list[dict]:
    """Sentences tagged with their language; languages drawn by their corpus share.

    Parallel rows also carry the two sides (``pair``) for translation pre-training; QA rows
    (pivot language, only about ``qa_entities``) teach the prompt format, so a decoder can
    answer zero-shot about the other entities, as an instruction-tuned model would.
    ``fact_counts`` (if given) counts how often each (entity, relation) is stated, in any
    language, QA lines included: the frequency axis of the fact-recall task.
    ``zipf_exponent`` sets how steeply entity frequency falls with rank (1: Zipf's law).
    ``mix`` gives the shares of the four kinds of row (facts, opinions, parallel, qa;
    :data:`CORPUS_MIX` by default).
    """
    mix = {**CORPUS_MIX, **(mix or {})}
    bounds = np.cumsum([mix[k] for k in CORPUS_MIX]) / sum(mix.values())
    shares = np.array([lang.share for lang in languages], dtype=float)
    shares /= shares.sum()
    facts = list(c.facts.items())
    # Entities are stated with Zipfian frequency, as in real text: the long tail is seen
    # rarely, so recalling it closed-book is hard while reading it from evidence is not.
    rank = {e: i for i, e in enumerate(rng.permutation(c.entities))}
    weights = np.array([(1 + rank[e]) ** -zipf_exponent for (e, _), _ in facts])
    weights /= weights.sum()
    pivot = languages[0]
    rows = []
    for _ in range(n_sentences):
        lang = languages[rng.choice(len(languages), p=shares)]
        kind = rng.random()
        row: dict = {"lang": lang.name}
        if kind < bounds[0]:
            (entity, relation), obj = facts[rng.choice(len(facts), p=weights)]
            row["text"] = fact_sentence(lang, c, entity, relation, obj)
            if fact_counts is not None:
                fact_counts[(entity, relation)] += 1
        elif kind < bounds[1]:
            row["text"] = (
                opinion_sentence(lang, c, rng)
                if rng.random() < 0.6
                else description_sentence(lang, c, rng, negation_rate=0.3)[0]
            )
        elif kind < bounds[2]:
            (entity, relation), obj = facts[rng.choice(len(facts), p=weights)]
            # Parallel text, like any text, is scarce for minority languages.
            other = (
                languages[1 + rng.choice(len(languages) - 1, p=shares[1:] / shares[1:].sum())]
                if lang is pivot
                else pivot
            )
            if fact_counts is not None:
                fact_counts[(entity, relation)] += 1
            src = fact_sentence(lang, c, entity, relation, obj)
            tgt = fact_sentence(other, c, entity, relation, obj)
            row["text"] = " ".join([src, lang.lexicon["EQUALS"], tgt])
            row["pair"] = {"src_lang": lang.name, "src": src, "tgt_lang": other.name, "tgt": tgt}
        else:
            entity = qa_entities[rng.integers(len(qa_entities))]
            relation = c.relations[rng.integers(len(c.relations))]
            if fact_counts is not None:
                fact_counts[(entity, relation)] += 1
            distractors = [
                fact_sentence(pivot, c, e, r, o)
                for (e, r), o in (facts[i] for i in rng.integers(len(facts), size=2))
            ]
            row = {
                "lang": pivot.name,
                "text": qa_line(
                    pivot, c, entity, relation, distractors if rng.random() < 0.5 else None
                ),
            }
        rows.append(row)
    return rows
