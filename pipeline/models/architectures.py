"""Registry of architectures the synthetic world can pre-train, and their objectives.

Adding an architecture is one entry here: how to build a tiny config from the world's
vocabulary and which auto class holds its pre-training head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Architecture:
    name: str
    objective: str  # "mlm" | "denoise" | "clm"
    config_class: str  # transformers config class name
    pretrain_class: str  # transformers model class with the pre-training head

    def make_config(self, vocab_size: int, pad_id: int, bos_id: int, eos_id: int,
                    max_length: int, size: dict[str, Any]):
        import transformers

        config_cls = getattr(transformers, self.config_class)
        return config_cls(
            vocab_size=vocab_size,
            pad_token_id=pad_id,
            bos_token_id=bos_id,
            eos_token_id=eos_id,
            # RoBERTa offsets positions by pad_id + 1; leave room for it.
            max_position_embeddings=max_length + pad_id + 2,
            **size,
        )


ARCHITECTURES: dict[str, Architecture] = {
    "roberta": Architecture("roberta", "mlm", "RobertaConfig", "RobertaForMaskedLM"),
}
