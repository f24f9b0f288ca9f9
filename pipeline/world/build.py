"""Write the synthetic world to disk: corpus, knowledge base, lexicon and every data set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io import atomic_dir, write_json, write_jsonl
from pipeline.world.book import make_book, write_book
from pipeline.world.concepts import make_concepts
from pipeline.world.corpus import make_corpus
from pipeline.world.languages import make_languages
from pipeline.world.tasks import (
    GLUE_GENERATORS,
    PROMPTS,
    World,
    fact_recall,
    parallel_corpus,
    translation_pairs,
    trivia_questions,
)

DEFAULT_WORLD: dict[str, Any] = {
    "seed": 1234,
    "n_entities": 48,
    "n_relations": 4,
    "n_objects": 24,
    "n_adjectives": 32,
    # The first language is the pivot (English's role); shares are of the pre-training corpus.
    "languages": {"maj_a": 0.4, "maj_b": 0.28, "maj_c": 0.24, "min_d": 0.05, "min_e": 0.03},
    "corpus_sentences": 24000,
    "zipf_exponent": 1.0,
    "tasks": {
        "syn_sentiment": {
            "train": 2000,
            "validation": 600,
            "noise": 0.05,
            "seen_fraction": 0.4,
            "negation": 0.5,
        },
        "syn_grammar": {"train": 2000, "validation": 600, "noise": 0.1},
        "syn_paraphrase": {"train": 2000, "validation": 600, "noise": 0.1, "seen_fraction": 0.4},
        "syn_similarity": {"train": 2000, "validation": 600, "noise": 0.5, "seen_fraction": 0.4},
        # a tenth of the entities trains (the readout is all it learns): the facts of the
        # other nine tenths are the validation's items, each asked about three times (true
        # and false claims; evaluation is cheap, and repeats shrink the noise within an item)
        "syn_factcheck": {"train": 2000, "validation": 1200, "noise": 0.1, "seen_fraction": 0.1},
        "syn_rte": {"train": 400, "validation": 300, "noise": 0.1},
        # factcheck with its claims in a second language (last: the other tasks keep their
        # random streams, which are numbered by position)
        "syn_xfactcheck": {
            "train": 2000,
            "validation": 1200,
            "noise": 0.1,
            "seen_fraction": 0.1,
            "language": "maj_b",
        },
    },
    # parallel: pre-training lines for the seq2seq model (pipeline/world/tasks.py)
    "translation": {"train": 400, "validation": 150, "parallel": 2000},
    # QA asks about the book's own entities (pipeline/world/book.py: world.qa.book).
    "qa": {"validation": 200, "qa_entity_fraction": 0.5},
}

# Reference ("Bayes") scores: the metric of the noisy validation labels against the clean ones.
_REFERENCE_METRICS = {
    "classification": ("accuracy", "f1", "mcc"),
    "regression": ("pearson", "spearman"),
}


def _write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _reference(rows: list[dict], clean: list) -> dict[str, float]:
    from pipeline.metrics import LABEL_METRICS

    noisy = [r["label"] for r in rows]
    kind = "regression" if isinstance(noisy[0], float) else "classification"
    return {m: LABEL_METRICS[m](noisy, clean) for m in _REFERENCE_METRICS[kind]}


def extra_words(languages: list[str]) -> list[str]:
    """Words a tokenizer needs beyond the lexicon: prompt templates and language tags."""
    from pipeline.tasks.prompts import language_tag, template_words

    return template_words() + [language_tag(name) for name in languages]


def build_world(params: dict[str, Any], out_dir: str | Path) -> None:
    """Generate the world described by ``params`` (merged over DEFAULT_WORLD) into ``out_dir``."""
    p = {**DEFAULT_WORLD, **params}
    rng = np.random.default_rng(p["seed"])
    concepts = make_concepts(
        rng, p["n_entities"], p["n_relations"], p["n_objects"], p["n_adjectives"]
    )
    languages = make_languages(rng, concepts.all, p["languages"])
    world = World(concepts, languages)
    qa_order = rng.permutation(len(concepts.entities))
    n_qa = max(1, int(round(p["qa"]["qa_entity_fraction"] * len(qa_order))))
    qa_entities = tuple(concepts.entities[i] for i in qa_order[:n_qa])
    fact_counts: Counter = Counter()
    corpus = make_corpus(
        rng,
        concepts,
        languages,
        p["corpus_sentences"],
        qa_entities,
        fact_counts,
        p["zipf_exponent"],
        p.get("corpus_mix"),
    )

    with atomic_dir(out_dir) as tmp:
        write_jsonl(tmp / "corpus.jsonl", corpus)
        write_jsonl(
            tmp / "kb.jsonl",
            [
                {"entity": e, "relation": r, "object": o, "count": fact_counts[(e, r)]}
                for (e, r), o in concepts.facts.items()
            ],
        )
        write_json(tmp / "lexicon.json", {lang.name: lang.lexicon for lang in languages})
        meta: dict[str, Any] = {}
        for i, (name, spec) in enumerate(p["tasks"].items()):
            if name not in GLUE_GENERATORS:
                raise ValueError(
                    f"config key 'world.tasks.{name}': unknown synthetic task; "
                    f"allowed: {sorted(GLUE_GENERATORS)}"
                )
            train, val = GLUE_GENERATORS[name](world, spec, np.random.default_rng([p["seed"], i]))
            _write_parquet(tmp / "tasks" / name / "train.parquet", train.rows)
            _write_parquet(tmp / "tasks" / name / "validation.parquet", val.rows)
            meta[name] = {**spec, "reference": _reference(val.rows, val.clean_labels)}
            if name in PROMPTS:
                meta[name]["prompt"] = PROMPTS[name](world, spec)
            if "accuracy" in meta[name]["reference"]:
                meta[name]["bayes_accuracy"] = meta[name]["reference"]["accuracy"]
        pairs = translation_pairs(world, p["translation"], np.random.default_rng([p["seed"], 100]))
        parallel = parallel_corpus(world, p["translation"], np.random.default_rng([p["seed"], 101]))
        (tmp / "parallel").mkdir()
        write_jsonl(tmp / "parallel" / "corpus.jsonl", parallel)
        write_json(tmp / "parallel" / "lexicon.json", {})  # no words of its own
        for pair, (train, val) in pairs.items():
            _write_parquet(tmp / "translation" / pair / "train.parquet", train)
            _write_parquet(tmp / "translation" / pair / "validation.parquet", val)
        book = make_book(
            np.random.default_rng([p["seed"], 300]),
            concepts,
            languages[0],
            {word for lang in languages for word in lang.lexicon.values()},
            p["qa"].get("book", {}),
        )
        write_book(tmp / "book", book, languages[0])
        questions = trivia_questions(world, p["qa"], np.random.default_rng([p["seed"], 200]), book)
        _write_parquet(tmp / "qa" / "validation.parquet", questions)
        _write_parquet(tmp / "facts" / "validation.parquet", fact_recall(world, fact_counts))
        write_json(
            tmp / "world.json",
            {
                "params": p,
                "languages": [
                    {"name": lang.name, "share": lang.share, "order": lang.order}
                    for lang in languages
                ],
                "pivot": languages[0].name,
                "extra_words": extra_words([lang.name for lang in languages]),
                "tasks": meta,
                "translation_pairs": sorted(pairs),
                "qa_entities": list(qa_entities),
                "polarity": concepts.polarity,
            },
        )
