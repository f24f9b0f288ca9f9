"""Which files of a model repository to stage: weights in the format the repository holds
(safetensors when present, else PyTorch ``.bin``, sharded with its index) and every
tokenizer and config file, whatever the tokenizer's kind.

Decided on the repository's file listing, so the same rule serves the hub (the listing of
the pinned revision) and a local mirror folder, and it is tested on listings shaped like
the real repositories (roberta-base holds both formats, mbart-large-cc25 and
vicuna-7b-v1.3 only ``.bin``). Subfolders (onnx/, ...) and other frameworks' weights
(tf_model.h5, flax_model.msgpack, rust_model.ot) are never staged.
"""

from __future__ import annotations

from fnmatch import fnmatch

SAFETENSORS = ("model.safetensors", "model-*-of-*.safetensors", "model.safetensors.index.json")
PYTORCH_BIN = ("pytorch_model.bin", "pytorch_model-*-of-*.bin", "pytorch_model.bin.index.json")
# Tokenizer files of every kind: sentencepiece (tokenizer.model, sentencepiece.bpe.model,
# spiece.model), byte-level BPE (vocab.json + merges.txt), WordPiece (vocab.txt), fast
# (tokenizer.json), and the configs (config.json, generation_config.json,
# tokenizer_config.json, special_tokens_map.json, added_tokens.json).
TOKENIZER_AND_CONFIG = ("*.model", "*.json", "*.txt", "*.tiktoken")


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(name, p) for p in patterns)


def select_model_files(listing: list[str]) -> list[str]:
    """The files to stage from a repository's ``listing`` (paths relative to its root)."""
    top = [f for f in listing if "/" not in f]
    weights = [f for f in top if _matches(f, SAFETENSORS) and f.endswith(".safetensors")]
    chosen, other = (SAFETENSORS, PYTORCH_BIN) if weights else (PYTORCH_BIN, SAFETENSORS)
    selected = [f for f in top if _matches(f, chosen)]
    if not any(not f.endswith(".json") for f in selected):
        raise ValueError(
            f"no weights in the repository: neither safetensors nor pytorch_model*.bin "
            f"among {sorted(top)}"
        )
    selected += [
        f for f in top if _matches(f, TOKENIZER_AND_CONFIG) and not _matches(f, chosen + other)
    ]
    return sorted(set(selected))
