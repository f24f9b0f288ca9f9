"""Setting 3's own corner of the world: the entities open- and closed-book QA ask about.

The knowledge base of the other settings has a few hundred facts, too few for an
evaluation set of distinct questions, and the decoder learns most of them by heart, so the
evidence adds little. The book therefore has its own entities (pivot-language names), over
the world's relations and objects, in three groups:

- ``test`` entities: the questions (TriviaQA rows) ask only about them. Their facts are
  stated in the book corpus with Zipfian frequency (rank r weighs 1/(1+r)), so frequent
  facts can be recalled closed-book and the long tail only read from the evidence.
- ``closed`` entities: closed-book drills ("Answer these questions: Q: ... A: O") on facts
  the corpus also states: they teach the format of recalling a stored fact.
- ``reading`` entities: open-book drills on passages whose facts hold for that passage
  only (a fresh object each time): the only way to answer them is to read the evidence
  in context, so pre-training itself teaches reading, as the issue asks (not fine-tuning:
  the book setting is zero-shot).

The book corpus (``book/corpus.jsonl``) and its words (``book/lexicon.json``) are read
only by the models whose ``pretrain.extra_corpora`` names ``book`` (the decoder), so the
encoder and seq2seq models' vocabulary and corpus do not change with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.keys import check_known
from pipeline.world.concepts import Concepts
from pipeline.world.languages import Language, new_words

BOOK_DEFAULTS = {
    "test_entities": 160,  # x relations = the pool of distinct questions
    "closed_entities": 48,
    "reading_entities": 48,
    "sentences": 12000,  # rows of the book corpus
    "fact_share": 0.45,  # of the book corpus: fact statements (test + closed entities)
    "closed_drill_share": 0.15,  # closed-book drills; the rest are open-book drills
    "page_facts": 1,  # facts of the asked entity on its evidence page, the asked one included
    "search_facts": 2,  # distracting facts of other entities (the search context)
    "drill_questions": 1,  # questions per open-book drill, all about its evidence
}


@dataclass(frozen=True)
class Book:
    """The book's entities (concept -> pivot word), facts and corpus rows."""

    words: dict[str, str]
    test: tuple[str, ...]
    facts: dict[tuple[str, str], str]  # (entity, relation) -> object, test + closed entities
    corpus: list[dict]
    counts: dict[tuple[str, str], int]  # how often the corpus states each test fact


def book_spec(spec: dict) -> dict:
    check_known(spec, BOOK_DEFAULTS, "config key 'world.qa.book'")
    return {**BOOK_DEFAULTS, **spec}


def _statement(pivot: Language, words: dict[str, str], entity: str, relation: str, obj: str):
    """'ENTITY RELATION OBJECT' in the pivot's word order (book entities have own words)."""
    parts = ([words[entity]], [pivot.lexicon[relation]], [pivot.lexicon[obj]])
    return " ".join(w for i in pivot.order for w in parts[i])


def make_book(
    rng: np.random.Generator, c: Concepts, pivot: Language, used: set[str], spec: dict
) -> Book:
    """The book of ``spec`` (merged over BOOK_DEFAULTS); ``used`` holds every surface word of
    the world's languages, so book names never collide with them."""
    from pipeline.tasks.prompts import closed_book_prompt, open_book_prompt

    p = book_spec(spec)
    groups = {g: p[f"{g}_entities"] for g in ("test", "closed", "reading")}
    names = {g: tuple(f"B{g[0]}{i}" for i in range(n)) for g, n in groups.items()}
    every = [e for g in names.values() for e in g]
    words = dict(zip(every, new_words(rng, len(every), used), strict=True))
    stated = names["test"] + names["closed"]
    facts = {
        (e, r): c.objects[int(rng.integers(len(c.objects)))] for e in stated for r in c.relations
    }
    # Zipfian over the test entities (in a random rank order); closed-drill entities are all
    # stated as often as the median test entity, so their drills can be recalled.
    rank = rng.permutation(len(names["test"]))
    weight = {e: 1.0 / (1 + rank[i]) for i, e in enumerate(names["test"])}
    median = float(np.median(list(weight.values())))
    weight |= {e: median for e in names["closed"]}
    keys = list(facts)
    probs = np.array([weight[e] for e, _ in keys])
    probs /= probs.sum()
    test = set(names["test"])
    counts = {k: 0 for k in keys if k[0] in test}

    def random_fact(entity: str, relation: str) -> str:
        return c.objects[int(rng.integers(len(c.objects)))]

    corpus = []
    for _ in range(p["sentences"]):
        kind = rng.random()
        if kind < p["fact_share"]:
            entity, relation = keys[rng.choice(len(keys), p=probs)]
            if entity in test:
                counts[(entity, relation)] += 1
            text = _statement(pivot, words, entity, relation, facts[(entity, relation)])
        elif kind < p["fact_share"] + p["closed_drill_share"]:
            entity = names["closed"][rng.integers(len(names["closed"]))]
            relation = c.relations[rng.integers(len(c.relations))]
            question = asked(pivot, words, entity, relation)
            text = f"{closed_book_prompt(question)} {pivot.lexicon[facts[(entity, relation)]]}"
        else:
            entity = names["reading"][rng.integers(len(names["reading"]))]
            page = {r: random_fact(entity, r) for r in c.relations}
            relation = c.relations[rng.integers(len(c.relations))]
            wiki, search = evidence(
                rng, c, entity, relation, page.__getitem__, names["reading"], random_fact, p
            )
            # The asked fact first, then more questions about the other evidence facts
            # ("answer these questions"): more reading per passage.
            others = [f for f in wiki + search if f[:2] != (entity, relation)]
            more = [others[i] for i in rng.permutation(len(others))[: p["drill_questions"] - 1]]
            lines = [
                f"Q: {asked(pivot, words, e, r)}\nA: {pivot.lexicon[o]}"
                for e, r, o in [(entity, relation, page[relation]), *more]
            ]
            evidence_text = " ".join(statements(pivot, words, wiki + search))
            first = open_book_prompt(asked(pivot, words, entity, relation), evidence_text)
            text = " ".join([f"{first} {pivot.lexicon[page[relation]]}", *lines[1:]])
        corpus.append({"lang": pivot.name, "text": text})
    return Book(words, names["test"], facts, corpus, counts)


def asked(pivot: Language, words: dict[str, str], entity: str, relation: str) -> str:
    """The question 'WHAT RELATION ENTITY' (the knowledge base's question form)."""
    return " ".join([pivot.lexicon["WHAT"], pivot.lexicon[relation], words[entity]])


def evidence(
    rng: np.random.Generator,
    c: Concepts,
    entity: str,
    relation: str,
    page: Callable[[str], str],
    others: tuple[str, ...],
    other_fact: Callable[[str, str], str],
    p: dict,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(wiki context, search context) facts (entity, relation, object) for a question about
    ``entity``'s ``relation``: its page states ``page_facts`` of its facts (``page(relation)
    -> object``) in a random order, the asked one among them, so a reader must match the
    relation; the search results state ``search_facts`` facts of other entities
    (``other_fact``), so it must match the entity."""
    rest = [r for r in c.relations if r != relation]
    shown = [relation] + [rest[i] for i in rng.permutation(len(rest))[: p["page_facts"] - 1]]
    wiki = [(entity, str(r), page(str(r))) for r in rng.permutation(shown)]
    search = []
    for _ in range(p["search_facts"]):
        other = others[rng.integers(len(others))]
        while other == entity:
            other = others[rng.integers(len(others))]
        r = c.relations[rng.integers(len(c.relations))]
        search.append((other, r, other_fact(other, r)))
    return wiki, search


def statements(
    pivot: Language, words: dict[str, str], facts: list[tuple[str, str, str]]
) -> list[str]:
    return [_statement(pivot, words, *f) for f in facts]


def write_book(folder: Path, book: Book, pivot: Language) -> None:
    """The book corpus, its words (as lexicon.json: language -> concept -> word) and its
    test facts with how often the corpus states each (``kb.jsonl``)."""
    from pipeline.io import write_json, write_jsonl

    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "corpus.jsonl", book.corpus)
    write_json(folder / "lexicon.json", {pivot.name: book.words})
    write_jsonl(
        folder / "kb.jsonl",
        [
            {"entity": e, "relation": r, "object": book.facts[(e, r)], "count": n}
            for (e, r), n in book.counts.items()
        ],
    )
