"""Setting 3: open- vs closed-book QA in the TriviaQA "rc" schema (paper: Vicuna-7B,
zero-shot, greedy, 32 new tokens, answer = first line).

The book decides the prompt (pipeline/tasks/prompts.py): only the open book carries the
evidence (wiki context, then search context, truncated to 3072 characters). Scores are the
standard SQuAD/TriviaQA exact match and token F1 of the normalized prediction against the
normalized aliases (an empty prediction scores 0), plus the paper code's lenient
containment score under its own name.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.tasks.prompts import closed_book_prompt, open_book_prompt
from pipeline.tasks.protocol import Tokens

BOOKS = ("open", "closed")


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze whitespace (the SQuAD/TriviaQA
    normalisation; hand-written because it is these few lines in the official scripts)."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, aliases: list[str]) -> float:
    pred = normalize_answer(prediction)
    return float(bool(pred) and any(pred == normalize_answer(a) for a in aliases))


def token_f1(prediction: str, aliases: list[str]) -> float:
    pred = normalize_answer(prediction).split()
    best = 0.0
    for alias in aliases:
        gold = normalize_answer(alias).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if pred and gold and common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def lenient_containment(prediction: str, aliases: list[str]) -> float:
    """The paper code's "exact match": containment either way, so "" matched everything;
    here an empty prediction scores 0, and the score is reported under its own name."""
    pred = normalize_answer(prediction)
    return float(
        bool(pred)
        and any(pred in normalize_answer(a) or normalize_answer(a) in pred for a in aliases)
    )


@dataclass(frozen=True)
class TriviaQATask:
    name: str
    source: str  # "synthetic" (world qa/ folder) or "hub"
    hub_path: str | None = None
    hub_config: str = "rc"
    book: str = "open"
    max_examples: int | None = None  # the paper evaluates the first 2000 questions
    max_new_tokens: int = 32
    kind: str = "generation"
    metric: str = "exact_match"
    metrics: tuple[str, ...] = ("exact_match", "f1", "lenient_containment")
    difficulty_axes: tuple[str, ...] = ("book",)
    chance: str = "most_frequent_answer"  # pipeline/tasks/chance.py
    human_score: float | None = None
    # A hub task's example lengths per book (cost model): the open book's evidence is cut
    # at 3072 characters (Llama tokenizer).
    book_tokens: dict[str, Tokens] = field(default_factory=dict, compare=False)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")

    @property
    def tokens(self) -> Tokens | None:
        return self.book_tokens.get(self.book)

    def configure(self, difficulty: str, options: dict[str, Any]) -> TriviaQATask:
        book = difficulty.partition("-")[2]
        if book not in BOOKS:
            raise ValueError(f"task {self.name}: book {book!r} is not one of {list(BOOKS)}")
        return replace(self, book=book)

    def reference_score(self, world_dir: Path | None) -> float | None:
        """No human/Bayes reference: difficulty here is the named level, not measured."""
        return None

    def load_split(self, split: str, world_dir: Path | None) -> list[dict]:
        if self.source == "synthetic":
            import pyarrow.parquet as pq

            rows = pq.read_table(Path(world_dir) / "qa" / f"{split}.parquet").to_pylist()
        else:
            from pipeline.data.staged import read_staged

            rows = read_staged(world_dir, self.hub_path, self.hub_config, split)
        return rows[: self.max_examples] if self.max_examples else rows

    def prompt(self, row: dict[str, Any]) -> str:
        if self.book == "closed":
            return closed_book_prompt(row["question"])
        evidence = " ".join(
            row["entity_pages"]["wiki_context"] + row["search_results"]["search_context"]
        )
        return open_book_prompt(row["question"], evidence)

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        return self.prompt(row), row["answer"]["value"]

    def references(self, row: dict[str, Any]) -> list[str]:
        return list(row["answer"]["aliases"]) or [row["answer"]["value"]]

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        return {"num_beams": 1, "do_sample": False, "max_new_tokens": self.max_new_tokens}

    def postprocess(self, text: str) -> str:
        lines = text.strip().split("\n")
        return lines[0].strip() if lines else ""

    def item_id(self, row: dict[str, Any]) -> str:
        """The question (a fact of the book; its evidence is context, not the item)."""
        return row["question"]

    def score(self, references: list[list[str]], predictions: list[str]) -> dict[str, float]:
        n = len(predictions)
        return {
            "exact_match": sum(map(exact_match, predictions, references)) / n,
            "f1": sum(map(token_f1, predictions, references)) / n,
            "lenient_containment": sum(map(lenient_containment, predictions, references)) / n,
        }


SYN_TRIVIAQA = TriviaQATask(name="syn_triviaqa", label="trivia QA", source="synthetic")
TRIVIAQA = TriviaQATask(
    name="triviaqa",
    label="TriviaQA",
    source="hub",
    hub_path="mandarjoshi/trivia_qa",
    book_tokens={"open": Tokens(820, 900, target=8), "closed": Tokens(40, 70, target=8)},
    rows={"validation": 17944},  # rc: the study reads the first 2,000
    max_examples=2000,
)
