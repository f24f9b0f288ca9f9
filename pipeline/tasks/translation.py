"""Setting 2: translation between two languages of a group (majority or minority), built by
pivoting through the pivot language as the paper does (Ru↔Vi and Gu↔My through English on
OPUS-100): rows of the pivot–X and pivot–Y corpora that share their pivot sentence become
X–Y pairs, in both directions. BLEU by sacrebleu, its signature recorded with the score.

Synthetic models read the target language from a tag at the start of the source
("__tgt__ X", see pipeline/models/objectives.py). A hub mBART instead needs its language
codes (``MBART_CODES``) on the source and as the first generated token; that per-direction
generation is not wired yet (no GPU to check it on).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# mBART-cc25 language codes of the OPUS-100 languages the paper uses.
MBART_CODES = {"en": "en_XX", "ru": "ru_RU", "vi": "vi_VN", "gu": "gu_IN", "my": "my_MM"}


@dataclass(frozen=True)
class TranslationTask:
    name: str
    source: str  # "synthetic" (the world's translation/ folder) or "hub" (OPUS-100)
    hub_path: str | None = None
    languages: tuple[str, ...] = ()  # the group's two languages, set by configure()
    pivot: str = ""
    num_beams: int = 5
    max_new_tokens: int = 64
    kind: str = "generation"
    metric: str = "bleu"
    metrics: tuple[str, ...] = ("bleu",)
    difficulty_axes: tuple[str, ...] = ("lang",)
    chance: str = "shuffled_reference"  # pipeline/tasks/chance.py
    human_score: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def configure(self, difficulty: str, options: dict[str, Any]) -> TranslationTask:
        """The task for one group: ``options`` = {"pivot": ..., "groups": {group: [x, y]}}."""
        group = difficulty.partition("-")[2]
        try:
            languages = tuple(options["groups"][group])
        except KeyError:
            raise ValueError(
                f"task {self.name}: difficulty {difficulty!r} names no language "
                f"group of {sorted(options.get('groups', {}))}"
            ) from None
        if len(languages) != 2:
            raise ValueError(f"task {self.name}: group {group!r} must name two languages")
        return replace(self, languages=languages, pivot=options["pivot"])

    def _pivot_rows(self, language: str, split: str, world_dir: Path | None) -> list[dict]:
        pair = f"{self.pivot}-{language}"
        if self.source == "synthetic":
            import pyarrow.parquet as pq

            return pq.read_table(
                Path(world_dir) / "translation" / pair / f"{split}.parquet"
            ).to_pylist()
        from datasets import load_dataset

        return load_dataset(
            self.hub_path, "-".join(sorted((self.pivot, language))), split=split
        ).to_list()

    def reference_score(self, world_dir: Path | None) -> float | None:
        """No human/Bayes reference: difficulty here is the named level, not measured."""
        return None

    def load_split(self, split: str, world_dir: Path | None) -> list[dict]:
        """X–Y rows (OPUS-100 schema) joined on their shared pivot sentence, both directions."""
        x, y = self.languages
        by_pivot = {
            r["translation"][self.pivot]: r["translation"][x]
            for r in self._pivot_rows(x, split, world_dir)
        }
        rows = []
        for r in self._pivot_rows(y, split, world_dir):
            pivot_text = r["translation"][self.pivot]
            if pivot_text in by_pivot:
                pair = {x: by_pivot[pivot_text], y: r["translation"][y]}
                rows += [
                    {"translation": pair, "src": x, "tgt": y},
                    {"translation": pair, "src": y, "tgt": x},
                ]
        if not rows:
            raise ValueError(
                f"task {self.name}: no {split} sentences shared through {self.pivot} by {x} and {y}"
            )
        return rows

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        source = row["translation"][row["src"]]
        if self.source == "synthetic":
            from pipeline.world.build import language_tag

            source = f"{language_tag(row['tgt'])} {source}"
        return source, row["translation"][row["tgt"]]

    def references(self, row: dict[str, Any]) -> list[str]:
        return [row["translation"][row["tgt"]]]

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        return {"num_beams": self.num_beams, "max_new_tokens": self.max_new_tokens}

    def postprocess(self, text: str) -> str:
        return text.strip()

    def score(self, references: list[list[str]], predictions: list[str]) -> dict[str, float]:
        from sacrebleu.metrics import BLEU

        return {"bleu": BLEU().corpus_score(predictions, [[r[0] for r in references]]).score}

    @property
    def metric_signature(self) -> str:
        """sacreBLEU's signature of the BLEU configuration (recorded with every score); it
        is only defined once a metric has scored, so score one single-reference pair."""
        from sacrebleu.metrics import BLEU

        bleu = BLEU()
        bleu.corpus_score(["x"], [["x"]])
        return str(bleu.get_signature())


SYN_TRANSLATION = TranslationTask(name="syn_translation", source="synthetic")
OPUS100 = TranslationTask(name="opus100", source="hub", hub_path="Helsinki-NLP/opus-100")
