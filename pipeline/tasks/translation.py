"""Setting 2: translation between the pivot language and each language of a group
(majority or minority), as the authors' code does on OPUS-100: en<->ru and en<->vi
(majority), en<->gu and en<->my (minority), in the directions configured (both by default).
BLEU and chrF by sacrebleu, BLEU's signature recorded with the scores.

``pairing: pivot_join`` instead builds X<->Y pairs of the group's two languages by joining
the pivot-X and pivot-Y corpora on identical pivot sentences (the paper's text). OPUS-100
samples each en-X set independently, so that join is nearly empty on the real data: it
fails, with the counts, before any fine-tuning when fewer than ``min_shared`` are shared.

Synthetic models read the target language from a tag at the start of the source
("__tgt__ X", see pipeline/models/objectives.py); the world's translation/ folder holds
pivot-X pairs in the OPUS-100 schema, so the same code serves both worlds. A hub mBART
reads its language codes instead (``language_codes``; the seq2seq adapter puts the source
code after the source and starts the decoder with the target code).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.data.staged import read_staged
from pipeline.tasks.protocol import Tokens

# mBART-cc25 language codes of the OPUS-100 languages the paper uses.
MBART_CODES = {"en": "en_XX", "ru": "ru_RU", "vi": "vi_VN", "gu": "gu_IN", "my": "my_MM"}
PAIRINGS = ("with_pivot", "pivot_join")
DIRECTIONS = ("from_pivot", "to_pivot")


@dataclass(frozen=True)
class TranslationTask:
    name: str
    source: str  # "synthetic" (the world's translation/ folder) or "hub" (OPUS-100)
    hub_path: str | None = None
    languages: tuple[str, ...] = ()  # the group's languages, set by configure()
    pivot: str = ""
    pairing: str = "with_pivot"
    directions: tuple[str, ...] = DIRECTIONS
    min_shared: int = 100  # pivot_join: fewer shared pivot sentences is an error
    num_beams: int = 5
    max_new_tokens: int = 64
    kind: str = "generation"
    metric: str = "bleu"
    metrics: tuple[str, ...] = ("bleu", "chrf")  # chrF beside BLEU (issue 12)
    difficulty_axes: tuple[str, ...] = ("lang",)
    chance: str = "shuffled_reference"  # pipeline/tasks/chance.py
    human_score: float | None = None
    tokens: Tokens | None = None  # a hub task's example lengths (cost model)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")

    def configure(self, difficulty: str, options: dict[str, Any]) -> TranslationTask:
        """The task for one group: ``options`` = {"pivot", "groups": {group: [x, ...]}} and
        optionally "pairing", "directions", "min_shared"."""
        group = difficulty.partition("-")[2]
        try:
            languages = tuple(options["groups"][group])
        except KeyError:
            raise ValueError(
                f"task {self.name}: difficulty {difficulty!r} names no language "
                f"group of {sorted(options.get('groups', {}))}"
            ) from None
        pairing = options.get("pairing", self.pairing)
        if pairing not in PAIRINGS:
            raise ValueError(f"task {self.name}: pairing {pairing!r} is not one of {PAIRINGS}")
        directions = tuple(options.get("directions", self.directions))
        if not directions or set(directions) - set(DIRECTIONS):
            raise ValueError(
                f"task {self.name}: directions {list(directions)} must be a non-empty "
                f"subset of {list(DIRECTIONS)}"
            )
        if pairing == "pivot_join" and len(languages) != 2:
            raise ValueError(f"task {self.name}: pivot_join needs two languages in {group!r}")
        return replace(
            self,
            languages=languages,
            pivot=options["pivot"],
            pairing=pairing,
            directions=directions,
            min_shared=options.get("min_shared", self.min_shared),
        )

    def hub_configs(self, options: dict[str, Any]) -> list[str]:
        """The OPUS-100 configs (pivot-X pairs, named in sorted order: "en-ru") the setting
        reads, for staging."""
        pivot = options["pivot"]
        languages = sorted({x for group in options["groups"].values() for x in group})
        return ["-".join(sorted((pivot, x))) for x in languages]

    def _pivot_rows(self, language: str, split: str, data_dir: Path | None) -> list[dict]:
        if self.source == "synthetic":
            import pyarrow.parquet as pq

            pair = f"{self.pivot}-{language}"
            return pq.read_table(
                Path(data_dir) / "translation" / pair / f"{split}.parquet"
            ).to_pylist()
        return read_staged(data_dir, self.hub_path, "-".join(sorted((self.pivot, language))), split)

    def reference_score(self, world_dir: Path | None) -> float | None:
        """No human/Bayes reference: difficulty here is the named level, not measured."""
        return None

    def _directed(self, pair: dict[str, str], x: str, y: str) -> list[dict[str, Any]]:
        """Rows of one sentence pair in the configured directions (x is the pivot side)."""
        ends = {"from_pivot": (x, y), "to_pivot": (y, x)}
        return [
            {"translation": pair, "src": ends[d][0], "tgt": ends[d][1]} for d in self.directions
        ]

    def load_split(self, split: str, data_dir: Path | None) -> list[dict]:
        """Directed rows ({"translation": {lang: text}, "src", "tgt"}) of the group."""
        if self.pairing == "pivot_join":
            return self._joined(split, data_dir)
        rows = []
        for language in self.languages:
            for r in self._pivot_rows(language, split, data_dir):
                pair = {k: r["translation"][k] for k in (self.pivot, language)}
                rows += self._directed(pair, self.pivot, language)
        return rows

    def _joined(self, split: str, data_dir: Path | None) -> list[dict]:
        """X<->Y rows of the two corpora that share their pivot sentence (the paper's text)."""
        x, y = self.languages
        xs, ys = self._pivot_rows(x, split, data_dir), self._pivot_rows(y, split, data_dir)
        by_pivot = {r["translation"][self.pivot]: r["translation"][x] for r in xs}
        rows = []
        for r in ys:
            if (pivot_text := r["translation"][self.pivot]) in by_pivot:
                rows += self._directed({x: by_pivot[pivot_text], y: r["translation"][y]}, x, y)
        shared = len(rows) // len(self.directions)
        if shared < self.min_shared:
            raise ValueError(
                f"task {self.name}: pivot_join of {self.pivot}-{x} ({len(xs)} {split} rows) and "
                f"{self.pivot}-{y} ({len(ys)} rows) shares {shared} {self.pivot} sentences, "
                f"fewer than min_shared={self.min_shared}; use pairing: with_pivot"
            )
        return rows

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        source = row["translation"][row["src"]]
        if self.source == "synthetic":
            from pipeline.tasks.prompts import language_tag

            source = f"{language_tag(row['tgt'])} {source}"
        return source, row["translation"][row["tgt"]]

    def language_codes(self, row: dict[str, Any]) -> tuple[str, str] | None:
        """mBART-cc25 codes of the row's (source, target) languages; None when either has
        none (the synthetic world's languages, which carry a tag instead)."""
        src, tgt = MBART_CODES.get(row["src"]), MBART_CODES.get(row["tgt"])
        return (src, tgt) if src and tgt else None

    def references(self, row: dict[str, Any]) -> list[str]:
        return [row["translation"][row["tgt"]]]

    def item_id(self, row: dict[str, Any]) -> str:
        """The source sentence (without the target's language tag): a pivot sentence
        translated into each language of the group is one item."""
        return row["translation"][row["src"]]

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        return {"num_beams": self.num_beams, "max_new_tokens": self.max_new_tokens}

    def postprocess(self, text: str) -> str:
        return text.strip()

    def score(self, references: list[list[str]], predictions: list[str]) -> dict[str, float]:
        from pipeline.tasks.metrics import sacrebleu_metric

        single = [[r[0] for r in references]]
        return {
            m: sacrebleu_metric(m).corpus_score(predictions, single).score for m in self.metrics
        }

    @property
    def metric_signature(self) -> str:
        """sacreBLEU's signature of the headline metric's configuration (recorded with every
        score; chrF beside it runs sacreBLEU's default chrF). A signature is only defined
        once its metric has scored, so score one single-reference pair."""
        from pipeline.tasks.metrics import sacrebleu_metric

        metric = sacrebleu_metric(self.metric)
        metric.corpus_score(["x"], [["x"]])
        return str(metric.get_signature())


SYN_TRANSLATION = TranslationTask(name="syn_translation", label="translation", source="synthetic")
OPUS100 = TranslationTask(
    name="opus100",
    label="OPUS-100",
    source="hub",
    hub_path="Helsinki-NLP/opus-100",
    tokens=Tokens(30, 90, target=30),  # mBART sentencepiece, 30 tokens a side
)
