"""Token lengths of one example of each hub task under its model's tokenizer: measured
means and 99th percentiles, the data table of the walltime model (pipeline/cluster/walltime.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tokens:
    """Token lengths of one example under its model's tokenizer."""

    mean: float  # one example (all its segments; per choice for multiple choice)
    p99: float
    choices: int = 1  # multiple choice: every choice is a sequence
    target: float = 0.0  # generation: teacher-forced target (training, loss)


# GLUE (RoBERTa BPE), WinoGrande-xl, CommonsenseQA, TriviaQA rc (open book: evidence cut at
# 3072 characters; Llama tokenizer), SVAMP/MAWPS (BART BPE: a short problem, an equation of
# ~12 tokens generated), OPUS-100 (mBART sentencepiece, 30 tokens a side).
TOKENS = {
    "sst2": Tokens(13, 55),
    "cola": Tokens(11, 34),
    "qqp": Tokens(30, 96),
    "stsb": Tokens(31, 82),
    "qnli": Tokens(51, 150),
    "rte": Tokens(70, 250),
    "mnli": Tokens(40, 105),
    "winogrande": Tokens(30, 50, choices=2),
    "csqa": Tokens(25, 45, choices=5),
    "triviaqa/book-open": Tokens(820, 900, target=8),
    "triviaqa/book-closed": Tokens(40, 70, target=8),
    "svamp": Tokens(45, 90, target=12),
    "mawps": Tokens(35, 80, target=12),
    "opus100": Tokens(30, 90, target=30),
}
