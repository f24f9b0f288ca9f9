"""GLUE-style tasks of the synthetic world (default study), each in its real counterpart's
schema: the data come from pipeline/world/tasks.py, the reference score from world.json.

The tasks that need pre-trained knowledge are read through the masked-LM head at a mask
(:class:`PromptedTask`, pipeline/finetune/adapters/prompt.py), not through a new
classification head: the knowledge the corpus put in the model is read where pre-training
wrote it, so what fine-tuning must learn is small (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.tasks.base import ClassificationTask
from pipeline.tasks.fact_recall import MASK  # the placeholder the MLM adapters replace


@dataclass(frozen=True)
class PromptedTask(ClassificationTask):
    """A classification task scored at a mask by the pre-trained MLM head.

    ``prompt`` is ``answer`` (the word the second text field adds to the first, the object a
    claim states, is masked out of the second field, which is read alone: a question
    before it reads as the corpus's QA lines and the head predicts their "A:" instead; no
    template, no world-specific words) or ``verbalizer`` (the world's template for the
    task, a text with ``{field}`` placeholders and one word per class, from world.json:
    ``tasks.<name>.prompt``) or ``translation`` (an answer prompt whose claimed word is at
    a position of a field that only the world's word order knows, world.json too)."""

    prompt: str = "answer"
    claim_label: int = 0  # the label that says an answer prompt's claim holds

    def load_split(self, split: str, world_dir: Path | None) -> list[dict[str, Any]]:
        rows = super().load_split(split, world_dir)
        if self.prompt == "answer":
            return rows
        from pipeline.io import read_json

        spec = read_json(Path(world_dir) / "world.json")["tasks"][self.name].get("prompt")
        if spec is None:
            raise ValueError(
                f"task {self.name}: world.json has no prompt for it (rebuild the world)"
            )
        return [{**row, "prompt": spec} for row in rows]

    def cloze(self, row: dict[str, Any]) -> tuple[list[str], list[str]]:
        """(the texts, one holding the mask; the class words) of one row."""
        if self.prompt == "verbalizer":
            spec = row["prompt"]
            return [spec["template"].format(**row)], list(spec["verbalizer"])
        if self.prompt == "translation":
            spec = row["prompt"]
            field, position = spec["answer"]["field"], spec["answer"]["position"]
            words = row[field].split()
            answer, words[position] = words[position], MASK
            return [spec["template"].format(**{**row, field: " ".join(words)})], [answer]
        first, second = (row[f] for f in self.text_fields)
        known = set(first.split())
        words = second.split()
        answer = next(w for w in words if w not in known)
        words[words.index(answer)] = MASK
        return [" ".join(words)], [answer]  # the claim alone, as the corpus states facts


SYN_SENTIMENT = PromptedTask(  # SST-2; "I <mask> <sentence>", mask: hate / like
    name="syn_sentiment",
    label="sentiment",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
    prompt="verbalizer",
    item=("adjective",),  # the unseen adjective whose polarity the sentence rests on
)
SYN_GRAMMAR = ClassificationTask(  # CoLA
    name="syn_grammar",
    label="grammar",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("mcc", "accuracy"),
    source="synthetic",
    chance="zero",
)
SYN_PARAPHRASE = PromptedTask(  # QQP; "Q1 EQUALS Q2" with Q2's object masked
    name="syn_paraphrase",
    label="paraphrase",
    text_fields=("question1", "question2"),
    num_labels=2,
    metrics=("accuracy", "f1"),
    source="synthetic",
    prompt="translation",
    claim_label=1,  # QQP: 1 = duplicate
    item=("object",),  # the unseen object whose translation the pair asks
)
SYN_SIMILARITY = ClassificationTask(  # STS-B
    name="syn_similarity",
    label="similarity",
    text_fields=("sentence1", "sentence2"),
    num_labels=1,
    metrics=("pearson", "spearman"),
    source="synthetic",
    chance="zero",
)
SYN_FACTCHECK = PromptedTask(  # QNLI; the sentence's answer masked: is it the one?
    name="syn_factcheck",
    label="fact check",
    text_fields=("question", "sentence"),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
    item=("question",),  # "what is R of E?": the fact (E, R), whatever object is claimed
)
SYN_XFACTCHECK = PromptedTask(  # QNLI, the claim in a second language (world.json says which)
    name="syn_xfactcheck",
    label="cross-lingual fact check",
    text_fields=("question", "sentence"),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
    prompt="translation",  # the claim's object sits where that language's order puts it
    item=("question",),  # the fact (E, R), as in syn_factcheck
)
SYN_RTE = ClassificationTask(  # RTE
    name="syn_rte",
    label="entailment",
    text_fields=("sentence1", "sentence2"),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)

# Tasks that claim to need what pre-training put in the model (validation asks about
# adjectives, objects or entities fine-tuning never shows, or reads facts out directly):
# their dense score must beat the from-scratch control (pipeline/analysis/gates.py).
# Grammar (word order) and the open book can be learnt from the task's own data.
NEEDS_PRETRAINING = frozenset(
    {
        "syn_sentiment",
        "syn_paraphrase",
        "syn_factcheck",
        "syn_xfactcheck",
        "syn_similarity",
        "syn_fact_recall",
    }
)
