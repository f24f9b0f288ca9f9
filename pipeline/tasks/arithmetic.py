"""Arithmetic word problems (paper Table 1 pairs MAWPS / SVAMP, from SMC-Bench): the model
generates the equation; a prediction counts when its computed value equals the answer.

Assumed hub schemas (parquet, ``datasets.load_dataset``); no hub is reachable here, so they
are taken from the data sets' cards and checked by tests on fixtures in that layout only:

- SVAMP, ``ChilleD/SVAMP`` (train 700 / test 300): ``Body``, ``Question``,
  ``Equation`` (infix with the numbers written out, e.g. ``( 5.0 - 2.0 )``), ``Answer``
  (float). The problem is ``Body`` followed by ``Question``.
- MAWPS, ``MU-NLPC/Calc-mawps`` (train / validation / test): ``question``, ``equation``
  (infix, possibly written ``x=...``), ``result_float``.

SMC-Bench solved these with a RoBERTa encoder and a tree decoder; here they are generation
tasks (seq2seq or decoder-only models) with the equation as the training target.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.tasks.protocol import MeasuredAcrossTasks, Tokens

# Hand-written on purpose: Python's eval() would run arbitrary model output, and the
# expression libraries (sympy's parser included) call eval on their input. Walking the
# ``ast`` with only numbers and + - * / allowed cannot execute anything.
OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
ASSIGNMENT = re.compile(r"^\s*[A-Za-z_]\w*\s*=")  # "x = 3 + 4" -> "3 + 4"


def _value(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(f"not allowed in an equation: {ast.dump(node)}")


def evaluate_equation(text: str) -> float:
    """Value of an infix equation of numbers and + - * / (an ``x =`` prefix is dropped);
    ValueError for anything else, a malformed expression or a division by zero."""
    expression = ASSIGNMENT.sub("", text, count=1).strip()
    try:
        value = _value(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ZeroDivisionError, RecursionError) as err:
        raise ValueError(f"cannot evaluate equation {text!r}: {err}") from err
    if not math.isfinite(value):
        raise ValueError(f"equation {text!r} has no finite value")
    return value


def answer_correct(prediction: str, answer: float, rel_tol: float = 1e-4) -> float:
    """1.0 when the predicted equation evaluates to ``answer``; an equation that does not
    evaluate scores 0."""
    try:
        value = evaluate_equation(prediction)
    except ValueError:
        return 0.0
    return float(math.isclose(value, answer, rel_tol=rel_tol, abs_tol=1e-6))


@dataclass(frozen=True)
class ArithmeticTask(MeasuredAcrossTasks):
    """Generate the equation of a word problem (the GenerationTask protocol of
    pipeline/finetune/adapters/base.py); scored by answer accuracy."""

    name: str
    hub_path: str
    question_fields: tuple[str, ...]
    equation_field: str
    answer_field: str
    validation_split: str = "test"
    hub_config: str | None = None
    max_new_tokens: int = 64
    num_beams: int = 1
    human_score: float | None = None  # not in the paper's Table 1
    tokens: Tokens | None = None  # a hub task's example lengths (cost model)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes
    source: str = "hub"
    kind: str = "generation"
    metrics: tuple[str, ...] = ("answer_accuracy",)
    difficulty_axes: tuple[str, ...] = ("task",)
    chance: str = "most_frequent_answer"  # pipeline/tasks/chance.py
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")

    def load_split(self, split: str, data_dir: Path | None) -> list[dict[str, Any]]:
        """Rows of ``split`` ("train" or "validation") of the staged data (hub schema)."""
        from pipeline.data.staged import read_staged

        if split == "validation":
            split = self.validation_split
        return read_staged(data_dir, self.hub_path, self.hub_config, split)

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        problem = " ".join(str(row[f]).strip() for f in self.question_fields)
        return problem, ASSIGNMENT.sub("", str(row[self.equation_field]), count=1).strip()

    def references(self, row: dict[str, Any]) -> list[str]:
        return [repr(float(row[self.answer_field]))]

    def item_id(self, row: dict[str, Any]) -> str:
        """The row itself: its problem text."""
        return self.source_target(row)[0]

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "num_beams": self.num_beams}

    def postprocess(self, text: str) -> str:
        return text.strip().split("\n")[0]

    def score(self, references: list[list[str]], predictions: list[str]) -> dict[str, float]:
        if not predictions:
            raise ValueError(f"task {self.name}: nothing to score")
        correct = [
            answer_correct(p, float(r[0])) for r, p in zip(references, predictions, strict=True)
        ]
        return {"answer_accuracy": sum(correct) / len(correct)}


SVAMP = ArithmeticTask(
    name="svamp",
    label="SVAMP",
    hub_path="ChilleD/SVAMP",
    question_fields=("Body", "Question"),
    equation_field="Equation",
    answer_field="Answer",
    tokens=Tokens(45, 90, target=12),  # BART BPE: a short problem, a ~12-token equation
    rows={"train": 700, "test": 300},
)
MAWPS = ArithmeticTask(
    name="mawps",
    label="MAWPS",
    hub_path="MU-NLPC/Calc-mawps",
    question_fields=("question",),
    equation_field="equation",
    answer_field="result_float",
    tokens=Tokens(35, 80, target=12),
    rows={"train": 1089, "test": 520},  # the default config (card at 38c1005)
)
