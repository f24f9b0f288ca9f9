"""Evaluation by generation, shared by the seq2seq and the decoder-only adapters.

Loss is teacher-forced on the targets (the training objective); the metric comes from
generating for every source/prompt (every decoding setting explicit, the task's
``generate_kwargs`` on top: greedy or beam search, ``max_new_tokens``), decoding,
``postprocess``-ing and the task's ``score`` against its ``references``; per example, what
the headline metric needs to be recomputed on a resample
(:func:`pipeline.tasks.metrics.generation_examples`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pipeline.finetune.adapters.base import Adapter, batches, length_sorted, to_device

# Every decoding setting a model's own generation config may carry, fixed here, so a hub
# model's defaults never decide a score: bart-large's config asks for trigram blocking
# (no_repeat_ngram_size 3, which corrupts generated equations) and 4 beams. A task's
# ``generate_kwargs`` sets its beams and lengths on top; the whole set is in the row.
EXPLICIT_GENERATION: dict[str, Any] = {
    "do_sample": False,
    "num_beams": 1,
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "repetition_penalty": 1.0,
    "length_penalty": 1.0,
    "early_stopping": True,  # a beam search ends with num_beams finished hypotheses (fairseq)
    "min_new_tokens": 0,
    "num_return_sequences": 1,
    "max_length": None,  # lengths come from the task's max_new_tokens only
    "min_length": None,
}


def generation_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The decoding settings of a run, for its row: JSON scalars only (no token ids that
    differ by tokenizer, no objects)."""
    skip = {"pad_token_id", "decoder_start_token_id", "forced_bos_token_id", "eos_token_id"}
    return {
        key: value
        for key, value in sorted(kwargs.items())
        if key not in skip and (value is None or isinstance(value, (bool, int, float, str)))
    }


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
        kwargs = {
            "pad_token_id": tokenizer.pad_token_id,
            **EXPLICIT_GENERATION,
            **task.generate_kwargs(tokenizer),
        }
        if getattr(model.config, "is_encoder_decoder", False) and "max_new_tokens" in kwargs:
            # A learned position table (mBART) cannot decode past its last position.
            room = model.config.max_position_embeddings - 1
            kwargs["max_new_tokens"] = min(kwargs["max_new_tokens"], room)
        examples = self.encode(tokenizer, task, rows, max_length)
        predictions: list[str] = [""] * len(rows)
        loss = torch.zeros((), dtype=torch.float64, device=device)  # one host sync, at the end
        with torch.no_grad():
            for chunk in batches(length_sorted(examples), batch_size):
                prompts = self.prompt_batch(tokenizer, task, [rows[i] for i in chunk], max_length)
                prompts = to_device(prompts, device)
                batch_loss, output = self.loss_and_generate(
                    model, tokenizer, [examples[i] for i in chunk], prompts, kwargs
                )
                loss += batch_loss.double() * len(chunk)
                texts = tokenizer.batch_decode(
                    self.generated_tokens(output, prompts), skip_special_tokens=True
                )
                for i, text in zip(chunk, texts, strict=True):
                    predictions[i] = task.postprocess(text)
        references = [task.references(row) for row in rows]
        return {
            "metrics": task.score(references, predictions),
            "loss": loss.item() / len(rows),
            "n_eval": len(rows),
            "examples": generation_examples(task, references, predictions),
            "generation": generation_settings(kwargs),
        }

    def loss_and_generate(
        self,
        model: Any,
        tokenizer: Any,
        examples: list[dict],
        prompts: dict[str, Any],
        kwargs: dict[str, Any],
    ) -> tuple[Any, Any]:
        """(teacher-forced mean loss of ``examples``, ``model.generate``'s output from
        ``prompts``) of one batch: a loss pass, then generation."""
        device = prompts["input_ids"].device
        batch = to_device(self.collate(tokenizer, examples), device)
        return model(**batch).loss, model.generate(**prompts, **kwargs)


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
