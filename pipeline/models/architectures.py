"""Registry of architectures the synthetic world can pre-train, and their objectives.

Adding an architecture is one entry here: the transformers config class, the class with
its pre-training head, its objective (pipeline/models/objectives.py) and any config fields
the architecture needs beyond the shared ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Architecture:
    name: str
    objective: str  # key of pipeline.models.objectives.OBJECTIVES
    config_class: str  # transformers config class name
    pretrain_class: str  # transformers model class with the pre-training head
    position_offset: int = 0  # RoBERTa offsets positions by pad_id + 1
    extra: dict[str, Any] = field(default_factory=dict)

    def make_config(
        self,
        vocab_size: int,
        pad_id: int,
        bos_id: int,
        eos_id: int,
        max_length: int,
        size: dict[str, Any],
    ):
        import transformers

        special = {"pad_token_id": pad_id, "bos_token_id": bos_id, "eos_token_id": eos_id}
        if self.name == "mbart":  # mBART decodes from </s>, then the target language tag
            special["decoder_start_token_id"] = eos_id
        offset = pad_id + 1 if self.position_offset else 0
        return getattr(transformers, self.config_class)(
            vocab_size=vocab_size,
            max_position_embeddings=max_length + offset + 2,
            **special,
            **self.extra,
            **size,
        )


ARCHITECTURES: dict[str, Architecture] = {
    "roberta": Architecture(
        "roberta", "mlm", "RobertaConfig", "RobertaForMaskedLM", position_offset=1
    ),
    "mbart": Architecture(
        "mbart",
        "denoise_translate",
        "MBartConfig",
        "MBartForConditionalGeneration",
        extra={"scale_embedding": True},
    ),
    "llama": Architecture(
        "llama", "clm", "LlamaConfig", "LlamaForCausalLM", extra={"tie_word_embeddings": True}
    ),
}
