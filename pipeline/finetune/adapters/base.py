"""The adapter interface: what the trainer needs to know about one kind of model.

The trainer is architecture-agnostic; an adapter supplies the three things that differ:

(a) ``load``: which transformers auto class holds the model for the task;
(b) ``encode`` + ``collate``: how dataset rows become training examples and padded batches
    (the model's own ``loss`` is the training objective, so labels carry everything);
(c) ``evaluate``: metrics and mean loss on a split (classification metrics, or generation
    followed by the task's scoring of strings), and the per-example outcomes behind the
    headline metric (``examples``: the columns of :data:`pipeline.examples.EXAMPLES`).

Adding a model kind is one module with an :class:`Adapter` subclass plus one line in
:mod:`pipeline.finetune.adapters` (the registry and :func:`adapter_for`).

What adapters need from a task (``pipeline.tasks``):

- every task: ``name``, ``kind`` ("classification", "regression" or "generation"),
  ``metric`` (the headline metric's name, a key of ``score``'s result);
- classification/regression: ``text_fields``, ``num_labels`` (1 = regression), rows with a
  ``label``, and ``score(labels, predictions) -> {metric: value}``;
- generation: the :class:`GenerationTask` protocol below.

``run_cell`` also needs ``load_split(split, world_dir) -> rows`` ("train" and "validation").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Protocol


class GenerationTask(Protocol):
    """A task solved by generating text (translation, QA, equation generation).

    The same task trains and evaluates a seq2seq model (mBART: ``source`` is the encoder
    input, ``target`` the decoder's) or a decoder-only model (Llama: the target follows the
    source as a continuation, and only target tokens carry loss).
    """

    name: str
    kind: str  # "generation"
    metric: str

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        """Model input (source sentence / prompt) and the training target for one row."""
        ...

    def references(self, row: dict[str, Any]) -> list[str]:
        """Acceptable outputs for scoring (one reference translation, or answer aliases)."""
        ...

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        """Keyword arguments of ``model.generate``: ``max_new_tokens``, ``num_beams``, and
        e.g. ``forced_bos_token_id`` for an mBART target-language code."""
        ...

    def postprocess(self, text: str) -> str:
        """Decoded generation -> prediction (e.g. the first line of a QA answer)."""
        ...

    def score(self, references: list[list[str]], predictions: list[str]) -> dict[str, float]:
        """Metrics of the predictions, e.g. sacreBLEU, or exact match and token F1."""
        ...


class Adapter(ABC):
    """Loading, batching and evaluation for one kind of model (see the module docstring)."""

    name: ClassVar[str]

    @abstractmethod
    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        """The model with the head the task needs; a new head's initialisation is drawn
        from torch's global RNG, which the caller seeds. ``kwargs`` go to
        ``from_pretrained``: placement (``dtype``, ``device_map``: pipeline/device.py) and
        config overrides (the protocol's dropout)."""

    def forward_loss(self, model: Any, batch: dict[str, Any], label_smoothing: float) -> Any:
        """The training loss of one batch: the model's own loss, or with
        ``label_smoothing`` > 0 :meth:`smoothed_loss` of a call without labels (with them the
        model would also compute its own, unused cross-entropy: over mBART's 250,027 classes
        that is a second full-vocabulary loss per step); an adapter that scores classes its
        own way (prompts, pipeline/finetune/adapters/prompt.py) overrides it."""
        if label_smoothing > 0:
            output = model(**self.unlabelled(model, batch))
            return self.smoothed_loss(output, batch, label_smoothing)
        return model(**batch).loss

    def unlabelled(self, model: Any, batch: dict[str, Any]) -> dict[str, Any]:
        """The model's inputs for ``batch`` without its labels."""
        return {key: value for key, value in batch.items() if key != "labels"}

    def smoothed_loss(self, output: Any, batch: dict[str, Any], label_smoothing: float) -> Any:
        """Label-smoothed cross-entropy of ``output.logits`` against ``batch["labels"]``
        (positions labelled -100 ignored); the protocol's ``label_smoothing`` > 0 trains on
        it instead of the model's own loss."""
        import torch.nn.functional as F

        logits = output.logits.float()
        if logits.shape[-1] == 1:
            raise ValueError("protocol.label_smoothing: a regression head has no classes")
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            batch["labels"].reshape(-1),
            ignore_index=-100,
            label_smoothing=label_smoothing,
        )

    @abstractmethod
    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        """One training example (lists of token ids, labels) per row."""

    @abstractmethod
    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        """A padded batch of tensors, ready for ``model(**batch).loss``."""

    @abstractmethod
    def evaluate(
        self,
        model: Any,
        tokenizer: Any,
        task: Any,
        rows: list[dict],
        max_length: int,
        batch_size: int,
    ) -> dict[str, Any]:
        """``{"metrics": {...}, "loss": mean loss, "n_eval": rows, "examples": {column:
        values}}`` on ``rows``; example ``i`` is ``rows[i]``."""


def load_tokenizer(model_dir: str) -> Any:
    """The model folder's tokenizer, padding on the right (generation pads prompts on the
    left explicitly); one without a pad token pads with its end-of-sequence token (padding
    is masked out of attention and loss)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def length_sorted(examples: list[dict]) -> list[int]:
    """Indices of ``examples`` by token length (stable): batches of similar lengths pad
    little, so a large evaluation batch costs what its real tokens cost. Callers put the
    results back in the original order, so the order never changes a result."""

    def length(example: dict) -> int:
        ids = example["input_ids"]
        return max(map(len, ids)) if ids and isinstance(ids[0], list) else len(ids)

    return sorted(range(len(examples)), key=lambda i: length(examples[i]))


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


class ScoringAdapter(Adapter):
    """An adapter that scores rather than generates (classification, regression, multiple
    choice, prompts, cloze): evaluation is one loop around its :meth:`score`."""

    label_key: ClassVar[str] = "labels"  # the example key :meth:`evaluate` scores against

    def score(self, model: Any, batch: dict[str, Any], members: list[dict]) -> tuple[Any, Any]:
        """(summed loss, predictions) of one batch, without gradients; ``members`` are the
        batch's examples, for what the collated batch does not carry. By default the model's
        own loss and logits: the argmax, or a one-output (regression) head's value."""
        out = model(**batch)
        logits = out.logits.float()
        predicted = logits.squeeze(-1) if logits.shape[-1] == 1 else logits.argmax(-1)
        return out.loss * len(members), predicted

    def evaluate(
        self,
        model: Any,
        tokenizer: Any,
        task: Any,
        rows: list[dict],
        max_length: int,
        batch_size: int,
    ) -> dict[str, Any]:
        """``rows`` encoded, batched by length, scored; the mean loss, ``task.score`` of the
        predictions against each example's ``label_key``, and each example's outcome."""
        import torch

        from pipeline.tasks.metrics import logit_examples

        examples = self.encode(tokenizer, task, rows, max_length)
        device = next(model.parameters()).device
        model.eval()
        preds: list[Any] = [None] * len(examples)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)  # one host sync
        with torch.no_grad():
            for chunk in batches(length_sorted(examples), batch_size):
                members = [examples[i] for i in chunk]
                batch = to_device(self.collate(tokenizer, members), device)
                loss, predicted = self.score(model, batch, members)
                loss_sum += loss.double()
                for i, pred in zip(chunk, predicted.tolist(), strict=True):
                    preds[i] = pred
        labels = [example[self.label_key] for example in examples]
        return {
            "metrics": task.score(labels, preds),
            "loss": loss_sum.item() / len(examples),
            "n_eval": len(examples),
            "examples": logit_examples(labels, preds, regression=task.kind == "regression"),
        }
