"""Tiny stand-ins of the paper's hub models, in their repositories' file layouts and
tokenizer classes, built offline (tests, CI, trying the paper path without a hub):

- RoBERTa (roberta-base/-large): byte-level BPE ``vocab.json`` + ``merges.txt``, and
  both ``model.safetensors`` and ``pytorch_model.bin`` (the real repositories hold both);
- mBART-cc25: ``sentencepiece.bpe.model`` (the 25 cc25 language codes come from the
  tokenizer class), ``pytorch_model.bin`` only;
- Vicuna (Llama): ``tokenizer.model`` (sentencepiece), ``pytorch_model-0000{1,2}-of-00002.bin``
  + ``pytorch_model.bin.index.json``.

Only the sizes are shrunk; the weights are random (no knowledge), so a stand-in study
proves the code path, not the science. transformers 5 saves safetensors only, so the
``.bin`` files are written here with ``torch.save``, as the real repositories' were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TINY = {"hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 32}
# The encoder-decoder stand-ins' (BART, mBART) width: one layer a side.
TINY_SEQ2SEQ = {
    "d_model": 16,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 32,
    "decoder_ffn_dim": 32,
}


def _save_bin(model: Any, folder: Path, shards: int) -> None:
    """``pytorch_model.bin``, or ``shards`` files ``pytorch_model-0000k-of-0000n.bin`` with
    the index transformers reads."""
    import torch

    state = {k: v.contiguous().clone() for k, v in model.state_dict().items()}
    if shards == 1:
        torch.save(state, folder / "pytorch_model.bin")
        return
    names = list(state)
    weight_map = {}
    for k in range(shards):
        part = names[k * len(names) // shards : (k + 1) * len(names) // shards]
        file = f"pytorch_model-{k + 1:05d}-of-{shards:05d}.bin"
        torch.save({n: state[n] for n in part}, folder / file)
        weight_map.update(dict.fromkeys(part, file))
    total = sum(t.numel() * t.element_size() for t in state.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=2))


def _sentencepiece(texts: list[str], prefix: Path, vocab_size: int, **options: Any) -> None:
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
        **options,
    )
    prefix.write_bytes(model.getvalue())


def build_roberta(folder: Path, texts: list[str], layers: int = 2, seed: int = 0) -> None:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForMaskedLM

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(texts, vocab_size=400, min_frequency=1, special_tokens=specials)
    bpe.save_model(str(folder))  # vocab.json + merges.txt
    vocab = json.loads((folder / "vocab.json").read_text())
    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(vocab),
        num_hidden_layers=layers,
        max_position_embeddings=514,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        **TINY,
    )
    model = RobertaForMaskedLM(config)
    model.save_pretrained(str(folder))  # config.json + model.safetensors
    _save_bin(model, folder, shards=1)


def build_bart(folder: Path, texts: list[str], seed: int = 0) -> None:
    """facebook/bart-large's layout: byte-level BPE (vocab.json + merges.txt, as RoBERTa's),
    BartConfig, model.safetensors."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(texts, vocab_size=400, min_frequency=1, special_tokens=specials)
    bpe.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text())
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(vocab),
        **TINY_SEQ2SEQ,
        max_position_embeddings=1024,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
    )
    BartForConditionalGeneration(config).save_pretrained(str(folder))


def build_mbart(folder: Path, texts: list[str], seed: int = 0) -> None:
    import torch
    from transformers import AutoTokenizer, MBartConfig, MBartForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    _sentencepiece(texts, folder / "sentencepiece.bpe.model", 500, model_type="bpe")
    config = MBartConfig(
        vocab_size=8,  # replaced below, once the tokenizer (and its language codes) exists
        **TINY_SEQ2SEQ,
        max_position_embeddings=1026,
        scale_embedding=True,
    )
    config.save_pretrained(str(folder))
    tokenizer = AutoTokenizer.from_pretrained(str(folder))  # MBartTokenizer, cc25 codes
    config.vocab_size = len(tokenizer)
    config.pad_token_id, config.bos_token_id = tokenizer.pad_token_id, tokenizer.bos_token_id
    config.eos_token_id = config.decoder_start_token_id = tokenizer.eos_token_id
    config.save_pretrained(str(folder))
    torch.manual_seed(seed)
    _save_bin(MBartForConditionalGeneration(config), folder, shards=1)


def build_llama(folder: Path, texts: list[str], seed: int = 0) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    _sentencepiece(
        texts,
        folder / "tokenizer.model",
        400,
        model_type="bpe",
        byte_fallback=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
    )
    tokens = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    (folder / "special_tokens_map.json").write_text(json.dumps(tokens))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "LlamaTokenizer", "add_bos_token": True, **tokens})
    )
    import sentencepiece as spm

    size = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model")).vocab_size()
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=size,
        num_hidden_layers=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=1,
        eos_token_id=2,
        **TINY,
    )
    config.save_pretrained(str(folder))
    GenerationConfig(bos_token_id=1, eos_token_id=2).save_pretrained(str(folder))
    _save_bin(LlamaForCausalLM(config), folder, shards=2)


def build_models(mirror: Path, texts: dict[str, list[str]]) -> None:
    """The four paper models under ``mirror/<hub id>``; ``texts`` per language ("en", ...)."""
    english = texts["en"]
    build_roberta(mirror / "FacebookAI/roberta-base", english, layers=2, seed=0)
    build_roberta(mirror / "FacebookAI/roberta-large", english, layers=3, seed=1)
    build_mbart(mirror / "facebook/mbart-large-cc25", [t for v in texts.values() for t in v])
    build_llama(mirror / "lmsys/vicuna-7b-v1.3", english)
    build_bart(mirror / "facebook/bart-large", english)
