"""Precision, memory and time at evaluation and in the training step: zero-shot masks are
boolean and applied in place, label smoothing costs one loss, open-book QA prefills each
prompt once, and every decoding setting is explicit and in the row."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline.finetune.adapters.base import load_tokenizer
from pipeline.finetune.adapters.causal_lm import CausalLMGeneration
from pipeline.finetune.adapters.generation import GenerationAdapter
from pipeline.finetune.adapters.seq2seq import Seq2SeqGeneration
from pipeline.finetune.modes import get_mode


def _tensors(obj) -> list[torch.Tensor]:
    """Every tensor an object holds in its attributes (one level of dicts and lists)."""
    found = []
    for value in vars(obj).values():
        items = value.values() if isinstance(value, dict) else value
        items = items if isinstance(items, (list, tuple, type({}.values()))) else [value]
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            found += [t for t in parts if isinstance(t, torch.Tensor)]
    return found


def test_zero_shot_applies_boolean_masks_in_place_and_holds_no_float_copy():
    torch.manual_seed(0)
    params = {f"w{i}": torch.randn(64, 32, dtype=torch.float16) for i in range(3)}
    masks = {name: torch.rand(p.shape) > 0.4 for name, p in params.items()}
    storage = {name: p.data_ptr() for name, p in params.items()}
    mode = get_mode("zero_shot")
    mode.prepare(params, masks)
    mode.verify()
    for name, param in params.items():
        assert param.data_ptr() == storage[name]  # in place
        assert torch.equal(param != 0, masks[name] & (param != 0))
        assert int((param[~masks[name]] != 0).sum()) == 0
    params_ids = {id(p) for p in params.values()}
    held = [t for t in _tensors(mode) if id(t) not in params_ids]
    assert all(t.dtype == torch.bool for t in held), [t.dtype for t in held]
    params["w1"][~masks["w1"]] = 1.0
    with pytest.raises(RuntimeError, match="w1"):
        mode.verify()


def _tiny(tmp_path: Path, tokenizer_dir: Path, kind: str, **generation) -> Path:
    """A random tiny model of ``kind`` (bart, llama) with the tiny world's tokenizer."""
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        LlamaConfig,
        LlamaForCausalLM,
    )

    tokenizer = load_tokenizer(str(tokenizer_dir))
    ids = {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    torch.manual_seed(0)
    if kind == "bart":
        config = BartConfig(
            d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
            max_position_embeddings=128, decoder_start_token_id=tokenizer.eos_token_id, **ids,
        )  # fmt: skip
        model = BartForConditionalGeneration(config)
    else:
        config = LlamaConfig(
            hidden_size=16, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
            intermediate_size=32, max_position_embeddings=512, **ids,
        )  # fmt: skip
        model = LlamaForCausalLM(config)
    for key, value in generation.items():
        setattr(model.generation_config, key, value)
    folder = tmp_path / kind
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def test_label_smoothing_calls_the_model_without_labels_and_computes_one_loss(
    tiny_roberta, tmp_path
):
    """mBART-like seq2seq: the model's own cross-entropy over the vocabulary is not computed;
    the smoothed loss is the same value as from a labelled call's logits."""
    folder = _tiny(tmp_path, tiny_roberta, "bart")
    tokenizer = load_tokenizer(str(folder))
    adapter = Seq2SeqGeneration()
    model = adapter.load(str(folder), None, tokenizer).eval()
    examples = [
        {"input_ids": tokenizer(s)["input_ids"], "labels": tokenizer(t)["input_ids"]}
        for s, t in (("a b c", "1 + 2"), ("d e", "3 * 4 - 5"))
    ]
    batch = adapter.collate(tokenizer, examples)
    calls = []
    hook = model.register_forward_pre_hook(
        lambda _m, _a, kwargs: calls.append(sorted(kwargs)), with_kwargs=True
    )
    with torch.no_grad():
        smoothed = adapter.forward_loss(model, batch, 0.1)
        reference = adapter.smoothed_loss(model(**batch), batch, 0.1)  # the old, labelled call
    hook.remove()
    assert "labels" not in calls[0] and "decoder_input_ids" in calls[0]
    assert smoothed.item() == pytest.approx(reference.item(), rel=1e-6)
    with torch.no_grad():
        assert adapter.forward_loss(model, batch, 0.0).item() == pytest.approx(
            model(**batch).loss.item(), rel=1e-6
        )


def test_open_book_qa_prefills_each_prompt_once_with_the_same_answers_and_loss(
    tiny_roberta, tiny_world, tmp_path
):
    from pipeline.tasks.registry import get_task

    folder = _tiny(tmp_path, tiny_roberta, "llama")
    tokenizer = load_tokenizer(str(folder))
    adapter = CausalLMGeneration()
    model = adapter.load(str(folder), None, tokenizer).eval()
    task = get_task("syn_triviaqa").configure("book-open", {})
    rows = task.load_split("validation", tiny_world)[:6]
    max_length = 512  # no prompt truncated: both paths see the same prompt
    examples = adapter.encode(tokenizer, task, rows, max_length)
    prompts = adapter.prompt_batch(tokenizer, task, rows, max_length)
    kwargs = {"pad_token_id": tokenizer.pad_token_id, "do_sample": False, "max_new_tokens": 6}
    width = prompts["input_ids"].shape[1]
    lengths: list[int] = []
    hook = model.register_forward_pre_hook(
        lambda _m, _a, kw: lengths.append(kw["input_ids"].shape[1]), with_kwargs=True
    )
    with torch.no_grad():
        loss, output = adapter.loss_and_generate(model, tokenizer, examples, prompts, kwargs)
        one_pass = list(lengths)
        lengths.clear()
        ref_loss, ref_output = GenerationAdapter.loss_and_generate(
            adapter, model, tokenizer, examples, prompts, kwargs
        )
    hook.remove()
    assert sum(n >= width for n in one_pass) == 1  # the prompts' one prefill
    assert sum(n >= width for n in lengths) == 2  # the old path: loss pass, then generate
    assert torch.equal(output, ref_output)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)


def test_generation_ignores_the_models_own_decoding_defaults_and_records_them(
    tiny_roberta, tmp_path
):
    """bart-large's config asks for trigram blocking and 4 beams: evaluation decodes with
    the task's settings only (greedy, no blocking) and writes them to the result."""
    from pipeline.tasks.arithmetic import SVAMP

    folder = _tiny(tmp_path, tiny_roberta, "bart", no_repeat_ngram_size=3, num_beams=4)
    tokenizer = load_tokenizer(str(folder))
    adapter = Seq2SeqGeneration()
    model = adapter.load(str(folder), SVAMP, tokenizer).eval()
    rows = [
        {"Body": f"Tom has {i} apples.", "Question": "How many?", "Equation": f"( {i} + 1 )",
         "Answer": float(i + 1)}
        for i in range(4)
    ]  # fmt: skip
    generate, outputs = model.generate, []
    model.generate = lambda **kw: outputs.append(generate(**kw)) or outputs[-1]
    result = adapter.evaluate(model, tokenizer, SVAMP, rows, 64, 4)
    settings = result["generation"]
    assert settings["no_repeat_ngram_size"] == 0 and settings["num_beams"] == 1
    assert settings["max_new_tokens"] == SVAMP.max_new_tokens and settings["do_sample"] is False
    prompts = adapter.prompt_batch(tokenizer, SVAMP, rows, 64)
    with torch.no_grad():
        explicit = generate(**prompts, num_beams=1, no_repeat_ngram_size=0,
                            max_new_tokens=SVAMP.max_new_tokens)  # fmt: skip
        defaults = generate(**prompts, max_new_tokens=SVAMP.max_new_tokens)
    assert len(outputs) == 1 and torch.equal(outputs[0], explicit)
    assert not torch.equal(explicit, defaults[:, : explicit.shape[1]])  # the test can fail


def test_a_generating_cell_writes_its_decoding_settings_to_its_row(
    tiny_roberta, tiny_world, tmp_path
):
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.run import run_cell
    from pipeline.finetune.spec import RunSpec

    folder = _tiny(tmp_path, tiny_roberta, "llama", no_repeat_ngram_size=3, num_beams=4)
    row = run_cell(RunSpec(
        study="t", setting="open_closed_book", model_name="tiny", model_dir=folder,
        task_name="syn_triviaqa", world_dir=tiny_world, difficulty="book-open",
        compression="dense", masks_path=None, mode_name="zero_shot",
        protocol=Protocol(lr=1e-3, batch_size=8, epochs=1, max_length=256, seed=0),
        progress=False,
    ))  # fmt: skip
    settings = row["training"]["generation"]
    assert settings["no_repeat_ngram_size"] == 0 and settings["num_beams"] == 1
    assert settings["do_sample"] is False and settings["max_new_tokens"] > 0
