"""Tiny stand-ins of the paper's hub data sets, laid out as the hub serves them (Parquet
shards per config and split, and the README ``configs:`` block that maps them; C4 as its
gzipped JSON lines), with the real column names and types, built offline. Together with
pipeline/staging/standins.py they fill a ``hub_mirror`` folder.

OPUS-100's en-X validation sets are sampled independently per pair, as the real ones are,
so a pivot join of two of them finds (almost) nothing, as on the hub.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np

ENGLISH = [
    "the",
    "a",
    "one",
    "good",
    "bad",
    "film",
    "story",
    "man",
    "woman",
    "city",
    "river",
    "house",
    "big",
    "small",
    "old",
    "new",
    "red",
    "blue",
    "runs",
    "sees",
    "makes",
    "finds",
    "likes",
    "gives",
    "keeps",
    "tells",
    "plays",
    "writes",
    "is",
    "was",
    "has",
    "had",
    "will",
    "can",
    "very",
    "quite",
    "never",
    "always",
    "often",
    "and",
    "but",
    "or",
    "because",
    "when",
    "where",
    "who",
    "what",
    "which",
    "how",
]
# Letters of each OPUS-100 language's script (Cyrillic, Vietnamese Latin, Gujarati, Myanmar).
ALPHABETS = {
    "ru": "абвгдежзиклмнопрстуфхцчшыэюя",
    "vi": "abcdeghiklmnopqrstuvxyăâđêôơưàáảãạ",
    "gu": "".join(chr(c) for c in range(0x0A85, 0x0AB9) if chr(c).isalpha()),
    "my": "".join(chr(c) for c in range(0x1000, 0x1021)),
}


def sentence(rng: np.random.Generator, language: str, n: int | None = None) -> str:
    n = n or int(rng.integers(4, 10))
    if language == "en":
        return " ".join(ENGLISH[i] for i in rng.integers(len(ENGLISH), size=n)).capitalize() + "."
    letters = ALPHABETS[language]
    return " ".join(
        "".join(letters[i] for i in rng.integers(len(letters), size=int(rng.integers(2, 6))))
        for _ in range(n)
    )


def _write_repo(folder: Path, configs: dict[str, dict[str, Any]], layout: str) -> None:
    """``configs``: config -> split -> pyarrow table; ``layout`` formats a shard's path."""
    import pyarrow.parquet as pq
    import yaml

    card = []
    for config, splits in configs.items():
        files = []
        for split, table in splits.items():
            path = layout.format(config=config, split=split)
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / path)
            files.append({"split": split, "path": path.replace("00000-of-00001", "*")})
        card.append({"config_name": config, "data_files": files})
    (folder / "README.md").write_text(f"---\n{yaml.safe_dump({'configs': card})}---\n")


def glue(rng: np.random.Generator, n: dict[str, int], tasks: Any) -> dict[str, dict[str, Any]]:
    """One config per GLUE task with the task's own columns (``text_fields``), label
    (``num_labels``: 1 is a 0-5 similarity score, as STS-B's) and splits."""
    import pyarrow as pa

    out = {}
    for task in tasks:
        splits = {}
        for split in ["train", task.validation_split]:
            k = n[split.split("_")[0]]  # validation_matched: n["validation"] rows
            columns: dict[str, Any] = {
                f: [sentence(rng, "en") for _ in range(k)] for f in task.text_fields
            }
            if task.num_labels == 1:
                columns["label"] = pa.array(rng.uniform(0, 5, k), pa.float32())
            else:
                columns["label"] = pa.array(rng.integers(task.num_labels, size=k))
            columns["idx"] = pa.array(np.arange(k), pa.int32())
            splits[split] = pa.table(columns)
        out[task.hub_config] = splits
    return out


def opus100(rng: np.random.Generator, languages: list[str], n: dict[str, int]) -> dict:
    import pyarrow as pa

    out = {}
    for x in languages:
        struct = pa.struct([("en", pa.string()), (x, pa.string())])
        out[f"en-{x}"] = {
            split: pa.table(
                {
                    "translation": pa.array(
                        [{"en": sentence(rng, "en"), x: sentence(rng, x)} for _ in range(k)],
                        struct,
                    )
                }
            )
            for split, k in n.items()
        }
    return out


def trivia_qa(rng: np.random.Generator, n: int) -> dict:
    """The ``rc`` config's nested schema (entity_pages, search_results, answer)."""
    import pyarrow as pa

    rows = []
    for i in range(n):
        value = sentence(rng, "en", 2)
        rows.append(
            {
                "question": sentence(rng, "en")[:-1] + "?",
                "question_id": f"tc_{i}",
                "question_source": "http://www.example.org/",
                "entity_pages": {
                    "doc_source": ["TagMe"],
                    "filename": [f"E{i}.txt"],
                    "title": [f"E{i}"],
                    "wiki_context": [" ".join(sentence(rng, "en") for _ in range(40)) + value],
                },
                "search_results": {
                    "description": [sentence(rng, "en")],
                    "filename": [f"s{i}.txt"],
                    "rank": [0],
                    "title": [sentence(rng, "en", 3)],
                    "url": [f"http://example.org/{i}"],
                    "search_context": [sentence(rng, "en") + " " + value],
                },
                "answer": {
                    "aliases": [value, value.lower()],
                    "normalized_aliases": [value.lower()],
                    "matched_wiki_entity_name": "",
                    "normalized_matched_wiki_entity_name": "",
                    "normalized_value": value.lower(),
                    "type": "FreeForm",
                    "value": value,
                },
            }
        )
    listed = pa.list_(pa.string())
    schema = pa.schema(
        [
            ("question", pa.string()),
            ("question_id", pa.string()),
            ("question_source", pa.string()),
            (
                "entity_pages",
                pa.struct(
                    [(k, listed) for k in ("doc_source", "filename", "title", "wiki_context")]
                ),
            ),
            (
                "search_results",
                pa.struct(
                    [
                        ("description", listed),
                        ("filename", listed),
                        ("rank", pa.list_(pa.int32())),
                        ("title", listed),
                        ("url", listed),
                        ("search_context", listed),
                    ]
                ),
            ),
            (
                "answer",
                pa.struct(
                    [("aliases", listed), ("normalized_aliases", listed)]
                    + [
                        (k, pa.string())
                        for k in (
                            "matched_wiki_entity_name",
                            "normalized_matched_wiki_entity_name",
                            "normalized_value",
                            "type",
                            "value",
                        )
                    ]
                ),
            ),
        ]
    )
    return {"rc": {"validation": pa.Table.from_pylist(rows, schema)}}


def winogrande(rng: np.random.Generator, n: dict[str, int]) -> dict:
    import pyarrow as pa

    def rows(k: int) -> Any:
        names = [(sentence(rng, "en", 1)[:-1], sentence(rng, "en", 1)[:-1]) for _ in range(k)]
        return pa.table(
            {
                "sentence": [f"{a} met {b} because _ {sentence(rng, 'en', 3)}" for a, b in names],
                "option1": [a for a, _ in names],
                "option2": [b for _, b in names],
                "answer": [str(int(rng.integers(1, 3))) for _ in range(k)],
            }
        )

    return {"winogrande_xl": {split: rows(k) for split, k in n.items()}}


def commonsense_qa(rng: np.random.Generator, n: dict[str, int]) -> dict:
    import pyarrow as pa

    struct = pa.struct([("label", pa.list_(pa.string())), ("text", pa.list_(pa.string()))])

    def rows(k: int) -> Any:
        return pa.table(
            {
                "id": [f"q{i}" for i in range(k)],
                "question": [sentence(rng, "en")[:-1] + "?" for _ in range(k)],
                "question_concept": [sentence(rng, "en", 1)[:-1] for _ in range(k)],
                "choices": pa.array(
                    [
                        {"label": list("ABCDE"), "text": [sentence(rng, "en", 1) for _ in "ABCDE"]}
                        for _ in range(k)
                    ],
                    struct,
                ),
                "answerKey": ["ABCDE"[int(rng.integers(5))] for _ in range(k)],
            }
        )

    return {"default": {split: rows(k) for split, k in n.items()}}


def arithmetic(rng: np.random.Generator, n: dict[str, int]) -> dict[str, dict]:
    """SVAMP (``ChilleD/SVAMP``: train/test) and MAWPS (``MU-NLPC/Calc-mawps``: train/
    validation/test) in their hub schemas: word problems whose equation computes the answer."""
    import pyarrow as pa

    def problems(k: int) -> list[tuple[str, str, float]]:
        out = []
        for _ in range(k):
            a, b = (int(v) for v in rng.integers(2, 20, size=2))
            op, word, value = [("+", "gets", a + b), ("-", "gives away", a - b)][rng.integers(2)]
            out.append((f"Sam has {a} apples and {word} {b}.", f"{a} {op} {b}", float(value)))
        return out

    def svamp(k: int) -> Any:
        rows = problems(k)
        return pa.table(
            {
                "ID": [f"chal-{i}" for i in range(k)],
                "Body": [text for text, _, _ in rows],
                "Question": ["How many apples does Sam have now?"] * k,
                "Equation": [f"( {eq} )" for _, eq, _ in rows],
                "Answer": pa.array([v for _, _, v in rows], pa.float64()),
                "Type": ["Addition"] * k,
            }
        )

    def mawps(k: int) -> Any:
        rows = problems(k)
        return pa.table(
            {
                "id": [f"mawps_{i}" for i in range(k)],
                "question": [f"{text} How many are left?" for text, _, _ in rows],
                "chain": [f"<gadget>{eq}</gadget>" for _, eq, _ in rows],
                "result": [f"{v:g}" for _, _, v in rows],
                "result_float": pa.array([v for _, _, v in rows], pa.float64()),
                "equation": [f"x={eq}" for _, eq, _ in rows],
            }
        )

    svamp_splits = {"train": n["train"], "test": n["validation"]}
    mawps_splits = {"train": n["train"], "validation": n["validation"], "test": n["validation"]}
    return {
        "ChilleD/SVAMP": {"default": {s: svamp(k) for s, k in svamp_splits.items()}},
        "MU-NLPC/Calc-mawps": {"default": {s: mawps(k) for s, k in mawps_splits.items()}},
    }


def build_arithmetic(mirror: Path, seed: int = 2, n: dict[str, int] | None = None) -> None:
    """The MAWPS and SVAMP stand-ins under ``mirror/<hub id>`` (setting 4's fifth pair)."""
    rng = np.random.default_rng(seed)
    for hub_id, configs in arithmetic(rng, n or {"train": 32, "validation": 16}).items():
        _write_repo(mirror / hub_id, configs, "data/{split}-00000-of-00001.parquet")


def c4(folder: Path, rng: np.random.Generator, documents: int, words: int) -> None:
    """``en/c4-train.00000-of-01024.json.gz``: JSON lines of text, timestamp, url."""
    path = folder / "en" / "c4-train.00000-of-01024.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as fh:
        for i in range(documents):
            text = " ".join(sentence(rng, "en") for _ in range(words // 6))
            row = {"text": text, "timestamp": "2019-04-25T12:57:54Z", "url": f"http://c4/{i}"}
            fh.write(json.dumps(row) + "\n")


def build_datasets(
    mirror: Path, glue_tasks: Any, seed: int = 0, n: dict[str, int] | None = None
) -> None:
    """Every paper data set under ``mirror/<hub id>`` (``n``: rows per train/validation);
    GLUE's configs are those of ``glue_tasks`` (pipeline/tasks/glue.py GLUE_TASKS: the tasks
    know their columns, and this module sits below them)."""
    rng = np.random.default_rng(seed)
    n = n or {"train": 32, "validation": 16}
    shard = "{config}/{split}-00000-of-00001.parquet"
    hub_ids = {t.hub_path for t in glue_tasks}
    if len(hub_ids) != 1:
        raise ValueError(f"GLUE tasks of one repository expected; got {sorted(hub_ids)}")
    _write_repo(mirror / hub_ids.pop(), glue(rng, n, glue_tasks), shard)
    _write_repo(mirror / "Helsinki-NLP/opus-100", opus100(rng, ["gu", "my", "ru", "vi"], n), shard)
    _write_repo(mirror / "mandarjoshi/trivia_qa", trivia_qa(rng, n["validation"]), shard)
    _write_repo(mirror / "allenai/winogrande", winogrande(rng, n), shard)
    _write_repo(
        mirror / "tau/commonsense_qa", commonsense_qa(rng, n), "data/{split}-00000-of-00001.parquet"
    )
    c4(mirror / "allenai/c4", rng, documents=16, words=3000)


def corpus_texts(seed: int = 1, n: int = 300) -> dict[str, list[str]]:
    """Text per language for training the stand-in tokenizers."""
    rng = np.random.default_rng(seed)
    return {lang: [sentence(rng, lang) for _ in range(n)] for lang in ["en", *ALPHABETS]}


def build_mirror(mirror: str | Path, glue_tasks: Any) -> Path:
    """A complete ``hub_mirror`` of the paper study's models and data sets."""
    from pipeline.staging.standins import build_models

    mirror = Path(mirror)
    build_datasets(mirror, glue_tasks)
    build_arithmetic(mirror)
    build_models(mirror, corpus_texts())
    return mirror
