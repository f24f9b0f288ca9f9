"""Write the synthetic world to disk: corpus, knowledge base, lexicon and task splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io import atomic_dir, write_json, write_jsonl
from pipeline.world.concepts import make_concepts
from pipeline.world.corpus import make_corpus
from pipeline.world.languages import make_languages
from pipeline.world.tasks import factcheck_rows, sentiment_rows

DEFAULT_WORLD: dict[str, Any] = {
    "seed": 1234,
    "n_entities": 48,
    "n_relations": 4,
    "n_objects": 24,
    "n_adjectives": 32,
    "languages": {"maj_a": 0.55, "maj_b": 0.3, "min_c": 0.1, "min_d": 0.05},
    "corpus_sentences": 24000,
    "tasks": {
        "syn_sentiment": {"train": 2000, "validation": 600, "noise": 0.05,
                          "seen_fraction": 0.4},
        "syn_factcheck": {"train": 2000, "validation": 600, "noise": 0.1,
                          "seen_fraction": 0.5},
    },
}


def _write_split(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


def build_world(params: dict[str, Any], out_dir: str | Path) -> None:
    """Generate the world described by ``params`` (see DEFAULT_WORLD) into ``out_dir``."""
    p = {**DEFAULT_WORLD, **params}
    rng = np.random.default_rng(p["seed"])
    concepts = make_concepts(rng, p["n_entities"], p["n_relations"], p["n_objects"],
                             p["n_adjectives"])
    languages = make_languages(rng, concepts.all, p["languages"])
    corpus = make_corpus(rng, concepts, languages, p["corpus_sentences"])
    pivot = languages[0]

    with atomic_dir(out_dir) as tmp:
        write_jsonl(tmp / "corpus.jsonl", corpus)
        write_jsonl(tmp / "kb.jsonl", [
            {"entity": e, "relation": r, "object": o} for (e, r), o in concepts.facts.items()
        ])
        write_json(tmp / "lexicon.json", {lang.name: lang.lexicon for lang in languages})
        tasks_meta = {}
        for name, spec in p["tasks"].items():
            task_dir = tmp / "tasks" / name
            task_dir.mkdir(parents=True)
            task_rng = np.random.default_rng([p["seed"], len(tasks_meta)])
            if name == "syn_sentiment":
                order = task_rng.permutation(len(concepts.adjectives))
                n_seen = max(2, int(round(spec["seen_fraction"] * len(order))))
                seen = tuple(concepts.adjectives[i] for i in order[:n_seen])
                # Both polarities must be seen in training.
                if len({concepts.polarity[a] for a in seen}) < 2:
                    seen = seen + (concepts.adjectives[0], concepts.adjectives[1])
                train = sentiment_rows(task_rng, concepts, pivot, spec["train"],
                                       spec["noise"], seen)
                val = sentiment_rows(task_rng, concepts, pivot, spec["validation"],
                                     spec["noise"], None)
            elif name == "syn_factcheck":
                order = task_rng.permutation(len(concepts.entities))
                n_seen = max(1, int(round(spec["seen_fraction"] * len(order))))
                seen = tuple(concepts.entities[i] for i in order[:n_seen])
                train = factcheck_rows(task_rng, concepts, pivot, spec["train"],
                                       spec["noise"], seen)
                val = factcheck_rows(task_rng, concepts, pivot, spec["validation"],
                                     spec["noise"], concepts.entities)
            else:
                raise ValueError(f"world.tasks: unknown synthetic task {name!r}; "
                                 "allowed: syn_sentiment, syn_factcheck")
            _write_split(task_dir / "train.parquet", train)
            _write_split(task_dir / "validation.parquet", val)
            tasks_meta[name] = {"noise": spec["noise"], "bayes_accuracy": 1 - spec["noise"],
                                "train": len(train), "validation": len(val)}
        write_json(tmp / "world.json", {
            "params": p,
            "languages": [{"name": lang.name, "share": lang.share, "order": lang.order}
                          for lang in languages],
            "tasks": tasks_meta,
        })
