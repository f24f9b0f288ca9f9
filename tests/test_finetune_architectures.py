"""Transfer modes and adapters on tiny models of all three architectures: encoder
(RoBERTa, classification), seq2seq (mBART, generation) and decoder-only (Llama, generation).

Each mode's promise is checked on the trained weights and on the weights inside every
checkpoint written along the way: sparse keeps pruned weights exactly zero; freezing keeps
them bit-identical to pre-trained; sparse-to-dense lets them regrow; dense ignores masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from pipeline.compress.magnitude import global_magnitude_masks
from pipeline.compress.prunable import prunable_parameters
from pipeline.finetune.checkpoint import Checkpoints
from pipeline.finetune.modes import MODES, get_mode
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.run import load_for_task
from pipeline.finetune.trainer import Loaded, Session, make_accelerator, train
from pipeline.tasks.base import ClassificationTask
from tests.conftest import train_dense

WORDS = [
    "red",
    "blue",
    "green",
    "big",
    "small",
    "cat",
    "dog",
    "bird",
    "sun",
    "moon",
    "yes",
    "no",
    "one",
    "two",
    "three",
    "four",
]
SIZE = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, max_position_embeddings=64)
# Weight decay on purpose: decoupled decay must not move pruned or frozen weights either.
PROTOCOL = Protocol(
    lr=3e-3, steps=6, batch_size=4, max_length=16, seed=5, weight_decay=0.1, warmup_ratio=0.0
)


@dataclass(frozen=True)
class CopyTask:
    """A generation task in the GenerationTask protocol: the target is a fixed rewrite."""

    name: str = "tiny_generation"
    kind: str = "generation"
    metric: str = "exact_match"

    def source_target(self, row):
        return row["source"], row["target"]

    def references(self, row):
        return [row["target"]]

    def generate_kwargs(self, tokenizer):
        return {"max_new_tokens": 4, "num_beams": 1, "do_sample": False}

    def postprocess(self, text):
        return " ".join(text.split())

    def score(self, references, predictions):
        hits = [p in refs for refs, p in zip(references, predictions, strict=True)]
        return {"exact_match": sum(hits) / len(hits)}


GENERATION_ROWS = [
    {"source": "red cat", "target": "one"},
    {"source": "blue dog", "target": "two"},
    {"source": "green bird", "target": "three"},
    {"source": "big sun", "target": "four"},
    {"source": "small moon", "target": "yes"},
    {"source": "cat red", "target": "no"},
]
CLASSIFICATION = ClassificationTask(
    name="tiny_cls",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)
CLASSIFICATION_ROWS = [
    {"sentence": f"{a} {b}", "label": int(a in ("red", "big"))}
    for a in ("red", "blue", "big", "small")
    for b in ("cat", "dog", "sun")
]


def _save_tiny(model, out: Path) -> Path:
    from pipeline.models.tokenizer import build_word_tokenizer

    out.mkdir()
    tokenizer = build_word_tokenizer(WORDS, out)
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    model.save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def tiny_mbart(tmp_path_factory) -> Path:
    from transformers import MBartConfig, MBartForConditionalGeneration

    torch.manual_seed(0)
    # d_model 32 without dropout: at 16 the tiny encoder-decoder barely learns the copy task.
    config = MBartConfig(
        vocab_size=len(WORDS) + 5,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        decoder_start_token_id=2,
        dropout=0.0,
        **SIZE,
    )
    return _save_tiny(MBartForConditionalGeneration(config), tmp_path_factory.mktemp("m") / "mbart")


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        intermediate_size=32,
        **SIZE,
    )
    return _save_tiny(LlamaForCausalLM(config), tmp_path_factory.mktemp("m") / "llama")


@pytest.fixture(scope="module")
def architectures(tiny_roberta, tiny_mbart, tiny_llama):
    return {
        "roberta": (tiny_roberta, CLASSIFICATION, CLASSIFICATION_ROWS),
        "mbart": (tiny_mbart, CopyTask(), GENERATION_ROWS),
        "llama": (tiny_llama, CopyTask(), GENERATION_ROWS),
    }


class RecordingCheckpoints(Checkpoints):
    """Keeps a copy of the prunable weights stored in every checkpoint written."""

    def __init__(self, root: Path, minutes: float, names: list[str], prefix: str) -> None:
        super().__init__(root, minutes, "test")
        self.names, self.prefix, self.saved = names, prefix, {}

    def save(self, accelerator, step):
        path = super().save(accelerator, step)
        state = torch.load(path / "pytorch_model.bin", weights_only=True)
        self.saved[step] = {n: state[self.prefix + n] for n in self.names}
        return path


def _finetune(architectures, arch, mode_name, tmp_path, with_masks=True, sparsity="0.5"):
    """Train one tiny model; returns (pre-trained prunable weights, masks, trained prunable
    weights, weights inside each checkpoint)."""
    model_dir, task, rows = architectures[arch]
    adapter, model, tokenizer = load_for_task(model_dir, task, PROTOCOL.seed)
    params = prunable_parameters(model)
    pretrained = {n: p.detach().clone() for n, p in params.items()}
    masks = global_magnitude_masks(params, sparsity) if with_masks else None
    prefix = model.base_model_prefix + "."
    checkpoints = RecordingCheckpoints(
        tmp_path / f"ckpt-{arch}-{mode_name}", 1e-9, list(params), prefix
    )  # a tiny wall-time interval: a checkpoint after every step
    summary = train(
        Loaded(adapter, model, tokenizer),
        task,
        rows,
        PROTOCOL,
        get_mode(mode_name),
        (params, masks),
        make_accelerator(PROTOCOL),
        Session(checkpoints=checkpoints, progress=False),
    )
    assert summary["steps"] == PROTOCOL.steps
    assert sorted(checkpoints.saved) == [1, 2, 3, 4, 5]  # none after the last step
    trained = {n: p.detach().clone() for n, p in params.items()}
    return pretrained, masks, trained, checkpoints.saved


ARCHS = ["roberta", "mbart", "llama"]


def test_registry_has_the_four_modes_of_the_paper_zero_shot_and_the_claim_e_arms():
    paper = {"dense", "dense_freeze", "sparse", "sparse_to_dense", "zero_shot"}
    assert set(MODES) == paper | {"ptq", "qat", "ptn"}  # quantization arms, noise control
    with pytest.raises(ValueError, match="allowed: .*'sparse'"):
        get_mode("lottery")


@pytest.mark.parametrize("arch", ARCHS)
def test_sparse_keeps_pruned_weights_exactly_zero(architectures, arch, tmp_path):
    pretrained, masks, trained, saved = _finetune(architectures, arch, "sparse", tmp_path)
    for weights in [*saved.values(), trained]:
        for name, w in weights.items():
            assert torch.count_nonzero(w[~masks[name]]) == 0, name
    moved = sum(int((trained[n] != pretrained[n])[masks[n]].sum()) for n in trained)
    assert moved > 0.5 * sum(int(m.sum()) for m in masks.values())  # kept weights train


@pytest.mark.parametrize("arch", ARCHS)
def test_freezing_keeps_frozen_weights_bit_identical(architectures, arch, tmp_path):
    pretrained, masks, trained, saved = _finetune(architectures, arch, "dense_freeze", tmp_path)
    for weights in [*saved.values(), trained]:
        for name, w in weights.items():
            frozen = ~masks[name]
            assert torch.equal(w[frozen], pretrained[name][frozen]), name
    moved = sum(int((trained[n] != pretrained[n])[masks[n]].sum()) for n in trained)
    assert moved > 0.5 * sum(int(m.sum()) for m in masks.values())


@pytest.mark.parametrize("arch", ARCHS)
def test_sparse_to_dense_starts_pruned_and_regrows(architectures, arch, tmp_path):
    model_dir, task, _ = architectures[arch]
    _, model, _ = load_for_task(model_dir, task, PROTOCOL.seed)
    params = prunable_parameters(model)
    masks = global_magnitude_masks(params, "0.5")
    get_mode("sparse_to_dense").prepare(params, masks)  # what the trainer does first
    for name, p in params.items():
        assert torch.count_nonzero(p.detach()[~masks[name]]) == 0, name
        assert torch.count_nonzero(p.detach()[masks[name]]) == int(masks[name].sum()), name
    _, masks, trained, _ = _finetune(architectures, arch, "sparse_to_dense", tmp_path)
    pruned = sum(int((~m).sum()) for m in masks.values())
    regrown = sum(int((trained[n][~masks[n]] != 0).sum()) for n in trained)
    assert regrown > 0.5 * pruned


@pytest.mark.parametrize("arch", ARCHS)
def test_dense_ignores_masks(architectures, arch, tmp_path):
    pretrained, masks, with_masks, _ = _finetune(architectures, arch, "dense", tmp_path)
    _, _, without, _ = _finetune(architectures, arch, "dense", tmp_path / "b", with_masks=False)
    for name in with_masks:
        assert torch.equal(with_masks[name], without[name]), name
        assert torch.count_nonzero(with_masks[name][~masks[name]]) > 0, name


def test_causal_lm_examples_carry_loss_only_on_the_answer(tiny_llama):
    adapter, _, tokenizer = load_for_task(tiny_llama, CopyTask(), 0)
    [example] = adapter.encode(tokenizer, CopyTask(), GENERATION_ROWS[:1], max_length=16)
    tokens = tokenizer.convert_ids_to_tokens(example["input_ids"])
    assert tokens == ["<s>", "red", "cat", "one", "</s>"]
    answer = example["input_ids"][3:]
    assert example["labels"] == [-100, -100, -100, *answer]
    # A prompt longer than max_length loses its beginning, never the answer.
    [short] = adapter.encode(
        tokenizer, CopyTask(), [{"source": "red " * 20 + "cat", "target": "one"}], max_length=6
    )
    assert tokenizer.convert_ids_to_tokens(short["input_ids"]) == [
        "<s>",
        "red",
        "red",
        "cat",
        "one",
        "</s>",
    ]


def test_seq2seq_examples_put_the_target_in_the_labels(tiny_mbart):
    adapter, _, tokenizer = load_for_task(tiny_mbart, CopyTask(), 0)
    [example] = adapter.encode(tokenizer, CopyTask(), GENERATION_ROWS[1:2], max_length=16)
    assert tokenizer.convert_ids_to_tokens(example["input_ids"]) == ["<s>", "blue", "dog", "</s>"]
    assert tokenizer.convert_ids_to_tokens(example["labels"]) == ["<s>", "two", "</s>"]


@pytest.mark.parametrize(("arch", "steps", "lr"), [("mbart", 200, 2e-2), ("llama", 80, 1e-2)])
def test_evaluation_by_generation_scores_what_the_model_generates(architectures, arch, steps, lr):
    """A model that learned the rewrite generates it: exact match goes from 0 to 1."""
    model_dir, task, rows = architectures[arch]
    protocol = Protocol(lr=lr, steps=steps, batch_size=6, max_length=16, seed=0, warmup_ratio=0.0)
    adapter, model, tokenizer = load_for_task(model_dir, task, protocol.seed)
    before = adapter.evaluate(model, tokenizer, task, rows, 16, 4)
    train_dense(adapter, model, tokenizer, task, rows, protocol)
    after = adapter.evaluate(model, tokenizer, task, rows, 16, 4)
    assert before["metrics"]["exact_match"] == 0.0
    assert after["metrics"]["exact_match"] == 1.0
    assert after["loss"] < before["loss"] / 5
    assert after["n_eval"] == len(rows)
