"""Word-level tokenizer for the synthetic world, saved in the standard Hugging Face format.

The world's languages are whitespace-separated words, so a word-level vocabulary is exact
and tiny; saving it with ``save_pretrained`` lets ``AutoTokenizer.from_pretrained`` load it
exactly like a hub tokenizer.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}


def build_word_tokenizer(words: list[str], out_dir: str | Path):
    """Build, save and return a fast tokenizer over ``words`` (RoBERTa-style specials)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIAL_TOKENS.values())
    vocab = {tok: i for i, tok in enumerate(specials + sorted(set(words) - set(specials)))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=SPECIAL_TOKENS["unk"]))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    bos, eos = SPECIAL_TOKENS["bos"], SPECIAL_TOKENS["eos"]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab[bos]), (eos, vocab[eos])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token=eos,
        pad_token=SPECIAL_TOKENS["pad"],
        unk_token=SPECIAL_TOKENS["unk"],
        mask_token=SPECIAL_TOKENS["mask"],
        cls_token=bos,
        sep_token=eos,
    )
    tokenizer.save_pretrained(str(out_dir))
    return tokenizer
