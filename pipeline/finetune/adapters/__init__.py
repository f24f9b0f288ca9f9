"""Registry of adapters (model kinds) and the rule that picks one for a task and model.

A classification/regression task takes a sequence-classification head on any backbone; a
generation task is seq2seq on an encoder-decoder model (mBART) and causal LM on a
decoder-only one (Llama). The interface, and what a task must provide, is in
:mod:`pipeline.finetune.adapters.base`.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.base import Adapter
from pipeline.finetune.adapters.causal_lm import CausalLMGeneration
from pipeline.finetune.adapters.classification import SequenceClassification
from pipeline.finetune.adapters.cloze import MaskedLMCloze
from pipeline.finetune.adapters.multiple_choice import MultipleChoice
from pipeline.finetune.adapters.prompt import MaskedLMPrompt
from pipeline.finetune.adapters.seq2seq import Seq2SeqGeneration

ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        SequenceClassification(),
        Seq2SeqGeneration(),
        CausalLMGeneration(),
        MultipleChoice(),
        MaskedLMCloze(),
        MaskedLMPrompt(),
    )
}
TASK_KINDS = ("classification", "regression", "generation", "multiple_choice", "cloze")


def adapter_for(task: Any, model_config: Any) -> Adapter:
    """The adapter for ``task`` on a model with transformers config ``model_config``."""
    if task.kind == "classification" and getattr(task, "prompt", None):
        return ADAPTERS["masked_lm_prompt"]  # read at a mask by the MLM head
    if task.kind in ("classification", "regression"):
        return ADAPTERS["sequence_classification"]
    if task.kind == "multiple_choice":
        return ADAPTERS["multiple_choice"]
    if task.kind == "cloze":
        return ADAPTERS["masked_lm_cloze"]
    if task.kind == "generation":
        encoder_decoder = getattr(model_config, "is_encoder_decoder", False)
        return ADAPTERS["seq2seq" if encoder_decoder else "causal_lm"]
    raise ValueError(f"task {task.name!r}: kind {task.kind!r} is not one of {list(TASK_KINDS)}")
