"""Evaluation by generation, shared by the seq2seq and the decoder-only adapters.

Loss is teacher-forced on the targets (the training objective); the metric comes from
generating for every source/prompt (the task's ``generate_kwargs``: greedy or beam search,
``max_new_tokens``), decoding, ``postprocess``-ing and the task's ``score`` against its
``references``; per example, what the headline metric needs to be recomputed on a
resample (:func:`pipeline.tasks.metrics.generation_examples`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pipeline.finetune.adapters.base import Adapter, batches, to_device


class GenerationAdapter(Adapter):
    @abstractmethod
    def prompt_batch(
        self, tokenizer: Any, task: Any, rows: list[dict], max_length: int
    ) -> dict[str, Any]:
        """Padded model inputs to generate from, for ``rows``."""

    @abstractmethod
    def generated_tokens(self, output: Any, prompts: dict[str, Any]) -> Any:
        """The generated part of ``model.generate``'s output."""

    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        from transformers import DataCollatorForSeq2Seq

        # Pads input ids with the pad token and labels with -100 (ignored by the loss).
        return dict(
            DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100, return_tensors="pt")(
                examples
            )
        )

    def evaluate(
        self,
        model: Any,
        tokenizer: Any,
        task: Any,
        rows: list[dict],
        max_length: int,
        batch_size: int,
    ) -> dict[str, Any]:
        import torch

        from pipeline.tasks.metrics import generation_examples

        device = next(model.parameters()).device
        model.eval()
        loss_sum, predictions = 0.0, []
        kwargs = {"pad_token_id": tokenizer.pad_token_id, **task.generate_kwargs(tokenizer)}
        if getattr(model.config, "is_encoder_decoder", False) and "max_new_tokens" in kwargs:
            # A learned position table (mBART) cannot decode past its last position.
            room = model.config.max_position_embeddings - 1
            kwargs["max_new_tokens"] = min(kwargs["max_new_tokens"], room)
        with torch.no_grad():
            for chunk in batches(rows, batch_size):
                batch = self.collate(tokenizer, self.encode(tokenizer, task, chunk, max_length))
                loss_sum += model(**to_device(batch, device)).loss.item() * len(chunk)
                prompts = to_device(self.prompt_batch(tokenizer, task, chunk, max_length), device)
                output = model.generate(**prompts, **kwargs)
                texts = tokenizer.batch_decode(
                    self.generated_tokens(output, prompts), skip_special_tokens=True
                )
                predictions += [task.postprocess(text) for text in texts]
        references = [task.references(row) for row in rows]
        return {
            "metrics": task.score(references, predictions),
            "loss": loss_sum / len(rows),
            "n_eval": len(rows),
            "examples": generation_examples(task, references, predictions),
        }


# The config attribute of each family's main (residual/hidden) dropout: fairseq's --dropout.
DROPOUT_KEYS = ("dropout", "hidden_dropout_prob", "resid_pdrop", "hidden_dropout")


def dropout_override(model_config: Any, dropout: float | None) -> dict[str, float]:
    """``from_pretrained`` config kwargs that set the protocol's dropout (none for None)."""
    if dropout is None:
        return {}
    for key in DROPOUT_KEYS:
        if hasattr(model_config, key):
            return {key: dropout}
    raise ValueError(
        f"protocol.dropout: a {model_config.model_type!r} model has none of {DROPOUT_KEYS}"
    )
