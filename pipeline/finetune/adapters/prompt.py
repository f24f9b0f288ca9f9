"""Prompt-based classification (PET / LM-BFF): the masked-LM head reads the class at a mask.

A classification head on ``<s>`` is a new, randomly initialised readout that fine-tuning must
connect to whatever the blocks know; with a few thousand rows about items the validation set
never asks about, it learns the training items and little else (issue 12: the factcheck
probe stayed at a loss of ln 2 while the same model recalled 68% of the facts by cloze).
The pre-training head already *is* a readout of that knowledge: RoBERTa ties its output
to its input embeddings, so the logit of a word at a mask says how well the word fits
there. This adapter scores the classes there (Schick & Schuetze 2021; Gao et al. 2021):

- a **verbalizer** names one word per class; the class's score is the log-probability of
  its word at the mask (sentiment: "I <mask> SENTENCE" with the corpus's own like/hate verbs);
- an **answer cloze** names one word fewer than classes: the word the row claims (the
  object of a fact, masked out of the sentence); the class that says the claim holds
  (the task's ``claim_label``: 0 in QNLI's coding, 1 in QQP's) scores its log-probability,
  the other class that of the best *other* word. The claim holds iff it is the model's
  top-1 answer (LAMA's precision@1, per row): the model's own recall decides, with no
  new parameter and no threshold to learn (a threshold on ``p`` would need calibrating:
  a tiny model's right answers are rarely above 0.5).

Training minimises the cross-entropy over the class scores; every weight is the
pre-trained model's (nothing new is initialised), so the seed varies the data order only.
The task provides ``cloze(row) -> (texts, words)``: the row's text fields with exactly one
``[MASK]`` among them, and the class words.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.base import ScoringAdapter
from pipeline.tasks.fact_recall import MASK  # the tokenizer's mask token replaces it


def mask_logits(model: Any, batch: dict[str, Any]) -> Any:
    """The MLM head's logits at each row's mask only (rows x vocabulary).

    The head is position-wise (dense, GELU, layer norm, decoder), so reading it at the one
    position the prompt uses gives the same numbers as ``model(...).logits[rows, position]``
    and skips it on every other token: a quarter of a ``tiny_roberta`` step's arithmetic
    (bench/bench_job.py). A model without a separate ``lm_head`` takes the full forward.
    """
    import torch

    inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask")}
    rows = torch.arange(len(batch["input_ids"]), device=batch["input_ids"].device)
    head = getattr(model, "lm_head", None)
    if head is None:
        return model(**inputs).logits[rows, batch["position"]]
    hidden = model.base_model(**inputs).last_hidden_state
    return head(hidden[rows, batch["position"]])


class MaskedLMPrompt(ScoringAdapter):
    name = "masked_lm_prompt"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForMaskedLM

        return AutoModelForMaskedLM.from_pretrained(model_dir, **kwargs)

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        examples = []
        for row in rows:
            texts, words = task.cloze(row)
            texts = [t.replace(MASK, tokenizer.mask_token) for t in texts]
            ids = tokenizer(*texts, truncation=True, max_length=max_length)["input_ids"]
            if ids.count(tokenizer.mask_token_id) != 1:
                raise ValueError(
                    f"task {task.name}: a prompt needs exactly one {MASK} within "
                    f"max_length {max_length}; got {texts!r}"
                )
            examples.append(
                {
                    "input_ids": ids,
                    "position": ids.index(tokenizer.mask_token_id),
                    "words": tokenizer.convert_tokens_to_ids(words),
                    "labels": int(row["label"]),
                    "claim_label": getattr(task, "claim_label", 0),
                }
            )
        return examples

    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        import torch

        batch = dict(
            tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
        )
        batch["position"] = torch.tensor([e["position"] for e in examples])
        batch["words"] = torch.tensor([e["words"] for e in examples])
        batch["labels"] = torch.tensor([e["labels"] for e in examples])
        batch["claim_label"] = torch.tensor([e["claim_label"] for e in examples])
        return batch

    def class_scores(self, model: Any, batch: dict[str, Any]) -> Any:
        """Log-probability of each class (rows x classes) read at the mask."""
        import torch

        at_mask = mask_logits(model, batch).float().log_softmax(-1)
        scores = at_mask.gather(1, batch["words"])
        if scores.shape[1] == 1:  # answer cloze: the claimed word vs the best other word
            others = at_mask.scatter(1, batch["words"], float("-inf")).max(-1, keepdim=True)
            first = (batch["claim_label"] == 0).unsqueeze(1)  # which class says "it holds"
            scores = torch.where(
                first,
                torch.cat([scores, others.values], dim=1),
                torch.cat([others.values, scores], dim=1),
            )
        return scores

    def forward_loss(self, model: Any, batch: dict[str, Any], label_smoothing: float) -> Any:
        import torch.nn.functional as F

        return F.cross_entropy(
            self.class_scores(model, batch), batch["labels"], label_smoothing=label_smoothing
        )

    def score(self, model: Any, batch: dict[str, Any], members: list[dict]) -> tuple[Any, Any]:
        import torch.nn.functional as F

        scores = self.class_scores(model, batch)
        return F.cross_entropy(scores, batch["labels"], reduction="sum"), scores.argmax(-1)
