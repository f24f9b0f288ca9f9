"""Downstream data sets of the synthetic world, each in the schema of its real counterpart.

GLUE-style tasks flip (or, for regression, jitter) labels with a known noise, and keep the
clean validation labels: the metric of noisy against clean labels is the Bayes-optimal
score, the "human performance" reference of the across-task difficulty metric (Table 1).
Training splits see only part of the vocabulary they are tested on (``seen_fraction``), so
what the model knows from pre-training is what decides the held-out part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.world.book import Book
from pipeline.world.concepts import Concepts
from pipeline.world.corpus import description, description_sentence, fact_sentence
from pipeline.world.languages import Language


@dataclass(frozen=True)
class World:
    concepts: Concepts
    languages: list[Language]

    @property
    def pivot(self) -> Language:
        return self.languages[0]

    @property
    def second(self) -> Language:
        return self.languages[1]


@dataclass
class Split:
    rows: list[dict]
    clean_labels: list


def _flip(rng: np.random.Generator, label: int, noise: float) -> int:
    return 1 - label if rng.random() < noise else label


def _seen(rng: np.random.Generator, items: tuple[str, ...], fraction: float) -> tuple[str, ...]:
    order = rng.permutation(len(items))
    return tuple(items[i] for i in order[: max(2, int(round(fraction * len(items))))])


def _classification(rng, n, noise, make) -> Split:
    """``make(idx) -> (row without label, clean label)``; labels flipped with ``noise``."""
    rows, clean = [], []
    for idx in range(n):
        row, label = make(idx)
        rows.append({**row, "label": _flip(rng, label, noise), "idx": idx})
        clean.append(label)
    return Split(rows, clean)


def _cycle(rng: np.random.Generator, n: int) -> Callable[[int], int]:
    """Row index -> one of ``n`` items, each in turn (in a shuffled order): a split asks
    about every item, as evenly as its size allows (its items are what intervals resample)."""
    order = rng.permutation(n)
    return lambda idx: int(order[idx % n])


def _unseen(items: tuple[str, ...], seen: tuple[str, ...]) -> tuple[str, ...]:
    """The items training never shows (all of them when training shows every item)."""
    return tuple(i for i in items if i not in seen) or items


def sentiment(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """SST-2 schema; label 1 = positive. Validation uses only adjectives training never
    shows, so their polarity can only come from pre-training; with ``negation`` ("is not
    ADJ") the label is polarity XOR negation, computed by the blocks, not the embeddings.
    ``adjective`` (beyond SST-2's columns) names the row's item: the adjective it rests on."""
    c = w.concepts
    # The same share of each polarity is seen: an unbalanced draw (13 of 32 adjectives, 8
    # of them negative) skews the training labels, so "not" alone predicts "positive" in
    # training and the opposite on the unseen adjectives, and fine-tuning learns that cue
    # instead of reading polarity (dense accuracy 0.42, under the majority class's 0.56).
    seen = sum(
        (
            _seen(rng, tuple(a for a in c.adjectives if c.polarity[a] == p), spec["seen_fraction"])
            for p in (0, 1)
        ),
        (),
    )
    unseen = _unseen(c.adjectives, seen)
    if len({c.polarity[a] for a in unseen}) < 2:  # a world too small to hold any out
        unseen = c.adjectives
    negation = spec.get("negation", 0.0)

    def maker(adjectives):
        def make(idx):
            text, positive, adjective = description(w.pivot, c, rng, adjectives, None, negation)
            return {"sentence": text, "adjective": adjective}, positive

        return make

    return (
        _classification(rng, spec["train"], spec["noise"], maker(seen)),
        _classification(rng, spec["validation"], spec["noise"], maker(unseen)),
    )


def grammar(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """CoLA schema; label 1 = acceptable (the language's own word order, nothing swapped)."""
    c = w.concepts

    def make(idx):
        (entity, relation), obj = list(c.facts.items())[rng.integers(len(c.facts))]
        words = (
            fact_sentence(w.pivot, c, entity, relation, obj)
            if rng.random() < 0.5
            else description_sentence(w.pivot, c, rng)[0]
        ).split()
        acceptable = int(rng.random() < 0.5)
        if not acceptable:
            i, j = rng.choice(len(words), size=2, replace=False)
            words[i], words[j] = words[j], words[i]
        return {"sentence": " ".join(words)}, acceptable

    return (
        _classification(rng, spec["train"], spec["noise"], make),
        _classification(rng, spec["validation"], spec["noise"], make),
    )


def paraphrase(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """QQP schema; label 1 = the two languages state the same fact (cross-lingual knowledge).
    Validation pairs use only objects training never shows: their translations come from
    pre-training. ``object`` (beyond QQP's columns) names the row's item: the first
    question's object, whose translation the pair asks."""
    c = w.concepts
    seen = _seen(rng, c.objects, spec["seen_fraction"])

    def maker(objects):
        order = _cycle(rng, len(objects))

        def make(idx):
            entity = c.entities[rng.integers(len(c.entities))]
            relation = c.relations[rng.integers(len(c.relations))]
            obj = objects[order(idx)]
            same = int(rng.random() < 0.5)
            other = obj
            while not same and other == obj:
                other = objects[rng.integers(len(objects))]
            return {
                "question1": fact_sentence(w.pivot, c, entity, relation, obj),
                "question2": fact_sentence(w.second, c, entity, relation, other),
                "object": obj,  # the item: what the pair asks is the object's translation
            }, same

        return make

    return (
        _classification(rng, spec["train"], spec["noise"], maker(seen)),
        _classification(rng, spec["validation"], spec["noise"], maker(_unseen(c.objects, seen))),
    )


def similarity(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """STS-B schema; score 0–5 = 2.5·[same entity] + 2.5·[same polarity] + Gaussian noise."""
    c = w.concepts
    seen = _seen(rng, c.adjectives, spec["seen_fraction"])
    seen += tuple(a for a in c.adjectives[:2] if a not in seen)

    def split(n, adjectives):
        rows, clean = [], []
        for idx in range(n):
            entity, other = rng.choice(len(c.entities), size=2, replace=False)
            same_entity = bool(rng.random() < 0.5)
            first, pol1 = description_sentence(w.pivot, c, rng, adjectives, c.entities[entity])
            second, pol2 = description_sentence(
                w.pivot, c, rng, adjectives, c.entities[entity if same_entity else other]
            )
            score = 2.5 * same_entity + 2.5 * (pol1 == pol2)
            noisy = float(np.clip(score + rng.normal(0, spec["noise"]), 0, 5))
            rows.append({"sentence1": first, "sentence2": second, "label": noisy, "idx": idx})
            clean.append(score)
        return Split(rows, clean)

    return split(spec["train"], seen), split(spec["validation"], None)


def _claim_language(w: World, spec: dict) -> Language:
    """The language a fact-check task states its claims in: ``spec["language"]`` (the
    cross-lingual variant; pipeline/config.py checks it names a world language before any
    job starts), else the pivot."""
    name = spec.get("language", w.pivot.name)
    return next(lang for lang in w.languages if lang.name == name)


def factcheck(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """QNLI schema; label 0 = entailment (GLUE's coding). Truth is stated only in the corpus,
    and validation asks only about entities training never shows: memorising the training
    facts (all a model from scratch can do) is worth nothing there. With ``language`` the
    claim is stated in that language and the question stays in the pivot's (the
    cross-lingual variant): the same facts, read through a language the corpus states them
    in less often."""
    c = w.concepts
    claims = _claim_language(w, spec)
    seen = _seen(rng, c.entities, spec["seen_fraction"])

    def maker(entities):
        facts = [(e, r) for e in entities for r in c.relations]
        order = _cycle(rng, len(facts))

        def make(idx):
            entity, relation = facts[order(idx)]
            true_obj = c.facts[(entity, relation)]
            entailed = rng.random() < 0.5
            obj = true_obj
            while not entailed and obj == true_obj:
                obj = c.objects[rng.integers(len(c.objects))]
            return {
                "question": " ".join(w.pivot.words(["WHAT", relation, entity])),
                "sentence": fact_sentence(claims, c, entity, relation, obj),
            }, int(not entailed)

        return make

    return (
        _classification(rng, spec["train"], spec["noise"], maker(seen)),
        _classification(rng, spec["validation"], spec["noise"], maker(_unseen(c.entities, seen))),
    )


def entailment(w: World, spec: dict, rng: np.random.Generator) -> tuple[Split, Split]:
    """RTE schema; label 0 = entailment. Premise describes an entity in the second language,
    the hypothesis says (pivot language) that "I like/hate" it: translation + polarity."""
    c = w.concepts

    def make(idx):
        entity = c.entities[rng.integers(len(c.entities))]
        text, positive = description_sentence(w.second, c, rng, None, entity)
        likes = int(rng.random() < 0.5)
        hypothesis = " ".join(w.pivot.clause(["I"], ["LIKE" if likes else "HATE"], [entity]))
        return {"sentence1": text, "sentence2": hypothesis}, int(likes != positive)

    return (
        _classification(rng, spec["train"], spec["noise"], make),
        _classification(rng, spec["validation"], spec["noise"], make),
    )


def sentiment_prompt(w: World, spec: dict) -> dict:
    """The verbalizer prompt of sentiment (pipeline/tasks/synthetic.py): "I <mask> SENTENCE"
    in the pivot's order, the sentence ("E is ADJ") the object of the corpus's opinions
    ("I like/hate E, it is A"), whose verbs the pre-trained head links to an adjective's
    polarity. Read right after the verb, the entity stands where the corpus puts it: dense
    accuracy 0.73/0.76 (seeds 0/1) against 0.65/0.63 for "I <mask> it: SENTENCE", whose
    "it" takes the entity's place (issue 12)."""
    lex = w.pivot.lexicon
    parts = ([lex["I"]], ["[MASK]"], ["{sentence}"])
    return {
        "template": " ".join(word for i in w.pivot.order for word in parts[i]),
        "verbalizer": [lex["HATE"], lex["LIKE"]],  # label 0 negative, 1 positive
    }


def paraphrase_prompt(w: World, spec: dict) -> dict:
    """The answer prompt of paraphrase: "Q1 EQUALS Q2", the corpus's own parallel lines,
    with Q2's object (its place in the second language's word order) masked: the claim
    "Q2 says what Q1 says" holds iff that object is what the model translates Q1's to."""
    return {
        "template": f"{{question1}} {w.pivot.lexicon['EQUALS']} {{question2}}",
        "answer": {"field": "question2", "position": w.second.object_position},
    }


def xfactcheck_prompt(w: World, spec: dict) -> dict:
    """The answer prompt of the cross-lingual fact check: the claim alone (as the corpus
    states facts), its object masked at the object's place in the claim language's word
    order (its words share none with the pivot's question, so the answer cloze's "the word
    the claim adds" cannot find it)."""
    claims = _claim_language(w, spec)
    return {
        "template": "{sentence}",
        "answer": {"field": "sentence", "position": claims.object_position},
    }


# task -> its prompt, from the world and the world task's options (``spec``)
PROMPTS: dict[str, Callable[[World, dict], dict]] = {
    "syn_sentiment": sentiment_prompt,
    "syn_paraphrase": paraphrase_prompt,
    "syn_xfactcheck": xfactcheck_prompt,
}

GLUE_GENERATORS: dict[str, Callable[[World, dict, np.random.Generator], tuple[Split, Split]]] = {
    "syn_sentiment": sentiment,
    "syn_grammar": grammar,
    "syn_paraphrase": paraphrase,
    "syn_similarity": similarity,
    "syn_factcheck": factcheck,
    "syn_xfactcheck": factcheck,  # with the world task's ``language``
    "syn_rte": entailment,
}


def _translation_lines(w: World, rng: np.random.Generator, n: int) -> list[tuple]:
    """``n`` lines, each ``clauses`` (fact "E R O" or description "E is [not] [very] ADJ
    [and ADJ2]") joined by "and": long enough for BLEU's 4-grams, which a three-word fact
    alone has none of. A line is stored as its concepts' draws, to render in any language."""
    c = w.concepts
    facts = list(c.facts.items())
    lines = []
    for _ in range(n):
        line = []
        for _ in range(2):
            if rng.random() < 0.5:
                (entity, relation), obj = facts[rng.integers(len(facts))]
                line.append(("fact", entity, relation, obj))
            else:
                entity = c.entities[rng.integers(len(c.entities))]
                line.append(("description", entity, rng.bit_generator.state))
                description_sentence(w.pivot, c, rng, None, entity)  # advance past its draws
        lines.append(tuple(line))
    return lines


def _render(w: World, lang: Language, line: tuple) -> str:
    """One line in ``lang``: its clauses in the language's own order, joined by its "and"."""
    c = w.concepts
    clauses = []
    for clause in line:
        if clause[0] == "fact":
            clauses.append(fact_sentence(lang, c, *clause[1:]))
        else:
            replay = np.random.default_rng()
            replay.bit_generator.state = clause[2]  # the same draws: the same description
            clauses.append(description_sentence(lang, c, replay, None, clause[1])[0])
    return f" {lang.lexicon['AND']} ".join(clauses)


def translation_pairs(w: World, spec: dict, rng: np.random.Generator) -> dict[str, tuple]:
    """OPUS-100 schema ({"translation": {lang: text, ...}}) between the pivot and every other
    language; the pair's name is "PIVOT-OTHER" as on OPUS-100 ("en-ru").

    All pairs translate one shared set of pivot lines, so pairs between two non-pivot
    languages can be built by pivoting (paper §3, setting 2). Every language gets ``train``
    rows, so its share of the pre-training corpus is all that differs between the groups
    (``proportional: true`` scales them by the corpus share, as on OPUS-100, which confounds
    share with data volume); validation sets are the same size for every language.
    """
    lines = _translation_lines(w, rng, spec["train"] + spec["validation"])
    largest = max(lang.share for lang in w.languages[1:])
    out = {}
    for other in w.languages[1:]:
        rows = [
            {
                "translation": {
                    w.pivot.name: _render(w, w.pivot, s),
                    other.name: _render(w, other, s),
                }
            }
            for s in lines
        ]
        share = other.share / largest if spec.get("proportional", False) else 1.0
        n_train = max(8, round(spec["train"] * share))
        out[f"{w.pivot.name}-{other.name}"] = (rows[:n_train], rows[spec["train"] :])
    return out


def parallel_corpus(w: World, spec: dict, rng: np.random.Generator) -> list[dict]:
    """Pre-training rows of translation between the pivot and the other languages, lines
    of the same kind as the translation pairs' (other draws), the other language drawn by
    its corpus share: a minority language gets few. Read by the seq2seq model only
    (``pretrain.extra_corpora: [parallel]``), so zero-shot translation is something
    pre-training taught, as for a multilingual translation model."""
    others = w.languages[1:]
    shares = np.array([lang.share for lang in others])
    shares /= shares.sum()
    rows = []
    for line in _translation_lines(w, rng, spec.get("parallel", 0)):
        other = others[rng.choice(len(others), p=shares)]
        src, tgt = (w.pivot, other) if rng.random() < 0.5 else (other, w.pivot)
        pair = {"src_lang": src.name, "src": _render(w, src, line)}
        pair |= {"tgt_lang": tgt.name, "tgt": _render(w, tgt, line)}
        rows.append(
            {
                "lang": src.name,
                "text": f"{pair['src']} {src.lexicon['EQUALS']} {pair['tgt']}",
                "pair": pair,
            }
        )
    return rows


def trivia_questions(w: World, spec: dict, rng: np.random.Generator, book: Book) -> list[dict]:
    """TriviaQA "rc" schema: ``spec["validation"]`` distinct questions, one per fact of the
    book's test entities (pipeline/world/book.py), which the corpus states but never asks
    about. The evidence page (wiki_context) states the fact among others of the entity;
    the search results state facts of other test entities."""
    from pipeline.world.book import asked, book_spec, evidence, statements

    c = w.concepts
    pool = [(e, r) for e in book.test for r in c.relations]
    n = spec["validation"]
    if n > len(pool):
        raise ValueError(
            f"config key 'world.qa.validation': {n} distinct questions need at least "
            f"{n} facts of test entities; the book has {len(pool)} "
            "(raise world.qa.book.test_entities)"
        )
    options = book_spec(spec.get("book", {}))
    rows = []
    for idx, k in enumerate(rng.choice(len(pool), size=n, replace=False)):
        entity, relation = pool[k]
        wiki, search = evidence(
            rng,
            c,
            entity,
            relation,
            lambda r, e=entity: book.facts[(e, r)],
            book.test,
            lambda e, r: book.facts[(e, r)],
            options,
        )
        answer = w.pivot.lexicon[book.facts[(entity, relation)]]
        rows.append(
            {
                "question": asked(w.pivot, book.words, entity, relation),
                "question_id": f"syn_{idx}",
                "question_source": "synthetic",
                "entity_pages": {"wiki_context": statements(w.pivot, book.words, wiki)},
                "search_results": {"search_context": statements(w.pivot, book.words, search)},
                "answer": {
                    "value": answer,
                    "aliases": [answer],
                    "normalized_value": answer,
                    "normalized_aliases": [answer],
                    "type": "WikipediaEntity",
                },
            }
        )
    return rows


def fact_recall(
    w: World, counts: dict[tuple[str, str], int], objects: tuple[str, ...] | None = None
) -> list[dict]:
    """LAMA schema (one cloze per fact of the knowledge base, pivot language): the object
    is masked, the candidates are every object's word. ``frequency`` splits the facts at
    the median of how often the corpus states them: "frequent" or "rare"."""
    c = w.concepts
    candidates = [w.pivot.lexicon[o] for o in (objects or c.objects)]
    median = float(np.median([counts.get(f, 0) for f in c.facts]))
    rows = []
    for (entity, relation), obj in c.facts.items():
        count = counts.get((entity, relation), 0)
        words = fact_sentence(w.pivot, c, entity, relation, obj).split()
        words[words.index(w.pivot.lexicon[obj])] = "[MASK]"
        rows.append(
            {
                "sub_label": w.pivot.lexicon[entity],
                "pred": w.pivot.lexicon[relation],
                "obj_label": w.pivot.lexicon[obj],
                "masked_sentences": [" ".join(words)],
                "candidates": candidates,
                "count": count,
                "frequency": "frequent" if count > median else "rare",
            }
        )
    return rows
