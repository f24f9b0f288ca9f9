"""Compression methods, each checked against a reference, on tiny models of all three
architectures (encoder, seq2seq, decoder) built from their config classes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn.utils import prune

from pipeline.compress.base import Target
from pipeline.compress.magnitude import global_magnitude_masks
from pipeline.compress.prunable import prunable_parameters
from pipeline.compress.quantize import rtn_quantize
from pipeline.compress.registry import METHODS
from pipeline.compress.selection import nm_masks, smallest_k_masks
from pipeline.compress.sequential import transformer_blocks
from pipeline.compress.sparsegpt import Hessian, sparsegpt_prune
from pipeline.compress.wanda import ColumnNorms, wanda_scores

VOCAB, WIDTH, FFN = 64, 32, 64
ARCHS = ("roberta", "mbart", "llama")


def build(arch: str, head: str = "base"):
    """A tiny randomly initialised model: the backbone, or it under its usual head."""
    import transformers as tf

    torch.manual_seed(0)
    if arch == "roberta":
        config = tf.RobertaConfig(
            vocab_size=VOCAB,
            hidden_size=WIDTH,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=FFN,
            max_position_embeddings=40,
            num_labels=2,
        )
        cls = {"base": tf.RobertaModel, "head": tf.RobertaForSequenceClassification}[head]
    elif arch == "mbart":
        config = tf.MBartConfig(
            vocab_size=VOCAB,
            d_model=WIDTH,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=FFN,
            decoder_ffn_dim=FFN,
            max_position_embeddings=40,
        )
        cls = {"base": tf.MBartModel, "head": tf.MBartForConditionalGeneration}[head]
    else:
        config = tf.LlamaConfig(
            vocab_size=VOCAB,
            hidden_size=WIDTH,
            intermediate_size=FFN,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=1,
            max_position_embeddings=40,
        )
        cls = {"base": tf.LlamaModel, "head": tf.LlamaForCausalLM}[head]
    return cls(config).eval()


@pytest.fixture(scope="module")
def models():
    return {arch: build(arch) for arch in ARCHS}


@pytest.fixture(scope="module")
def batches():
    """Calibration batches with text's Zipfian token frequencies (uniformly random tokens
    would make every layer's inputs white, leaving second-order methods nothing to use)."""
    generator = torch.Generator().manual_seed(1)
    zipf = 1 / torch.arange(1, VOCAB - 3, dtype=torch.float)
    ids = torch.multinomial(zipf, 16 * 24, replacement=True, generator=generator) + 4
    ids = ids.reshape(16, 24)
    return [
        {"input_ids": chunk, "attention_mask": torch.ones_like(chunk)} for chunk in ids.split(8)
    ]


def run_method(model, name: str, level: str, seed: int = 0, batches=None):
    """Apply a method to a copy of ``model``: (its prunable params after, masks)."""
    model = copy.deepcopy(model)
    params = prunable_parameters(model)
    return params, METHODS[name].compress(Target(model, params, seed, batches), level)


def linear_inputs(model, batches, names):
    """Calibration inputs [tokens, in] of the given linears in the (unpruned) model."""
    seen = {name: [] for name in names}
    hooks = [
        model.get_submodule(n.removesuffix(".weight")).register_forward_hook(
            lambda _m, inputs, _o, n=n: seen[n].append(inputs[0].reshape(-1, inputs[0].shape[-1]))
        )
        for n in names
    ]
    with torch.no_grad():
        for batch in batches:
            model(**batch, use_cache=False)
    for hook in hooks:
        hook.remove()
    return {n: torch.cat(xs) for n, xs in seen.items()}


# --- the denominator ---------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_denominator_is_the_blocks_linear_weights_only(arch):
    model = build(arch, "head")
    params = prunable_parameters(model)
    blocks = {n: m for n, m in model.base_model.named_modules() if isinstance(m, torch.nn.Linear)}
    assert set(params) == {f"{n}.weight" for n in blocks}
    assert all(p.dim() == 2 for p in params.values())
    names = " ".join(params)
    for excluded in ("embed", "norm", "bias", "lm_head", "shared", "pooler"):
        assert excluded not in names.lower()
    layers = {"roberta": 2 * 6, "mbart": 2 * 6 + 2 * 10, "llama": 2 * 7}[arch]
    assert len(params) == layers  # mBART: decoder layers add cross-attention (4 linears)
    if arch == "mbart":
        assert any(n.startswith("encoder.") for n in params)
        assert any(".encoder_attn." in n for n in params)


def test_head_policy_adds_the_task_head_but_never_the_lm_head():
    classifier = build("roberta", "head")
    with_head = prunable_parameters(classifier, "backbone_and_head")
    assert set(with_head) - set(prunable_parameters(classifier)) == {
        "head:classifier.dense.weight",
        "head:classifier.out_proj.weight",
    }
    causal = build("llama", "head")
    assert (
        prunable_parameters(causal, "backbone_and_head").keys()
        == prunable_parameters(causal).keys()
    )
    with pytest.raises(ValueError, match="compression.prunable.*backbone_and_head"):
        prunable_parameters(causal, "everything")


# --- magnitude ---------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("sparsity", [0.3, 0.75])
def test_global_magnitude_equals_torch_global_unstructured(models, arch, sparsity):
    model = copy.deepcopy(models[arch])
    params = prunable_parameters(model)
    ours = global_magnitude_masks(params, sparsity)
    pairs = [(model.get_submodule(n.removesuffix(".weight")), "weight") for n in params]
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=sparsity)
    reference = {n: module.weight_mask.bool() for n, (module, _) in zip(params, pairs, strict=True)}
    k = round(sparsity * sum(p.numel() for p in params.values()))
    assert sum(int((~m).sum()) for m in ours.values()) == k
    assert sum(int((~m).sum()) for m in reference.values()) == k
    # Ties excepted: where |w| equals the k-th smallest magnitude, either choice is right.
    threshold = torch.cat([p.detach().abs().flatten() for p in params.values()]).sort()[0][k - 1]
    for name, param in params.items():
        off_tie = param.detach().abs() != threshold
        assert off_tie.sum() >= param.numel() - 2
        assert torch.equal(ours[name][off_tie], reference[name][off_tie]), name


def test_ties_at_the_threshold_prune_the_earliest_weights_first():
    params = {"a": torch.tensor([[0.5, 0.1, 0.5]]), "b": torch.tensor([[0.5, 0.9, 0.5]])}
    masks = smallest_k_masks(params, 3)  # 0.1, then two of the four 0.5s: a's, in order
    assert masks["a"].tolist() == [[False, False, False]]
    assert masks["b"].tolist() == [[True, True, True]]
    masks = smallest_k_masks(params, 5)
    assert masks["b"].tolist() == [[False, True, False]]


@pytest.mark.parametrize("arch", ARCHS)
def test_layer_wise_magnitude_equals_torch_l1_unstructured_per_matrix(models, arch):
    params, masks = run_method(models[arch], "magnitude_layer", "0.4")
    for name, param in params.items():
        module = torch.nn.Linear(param.shape[1], param.shape[0], bias=False)
        module.weight.data.copy_(param.detach())
        prune.l1_unstructured(module, "weight", amount=0.4)
        assert torch.equal(masks[name], module.weight_mask.bool()), name


@pytest.mark.parametrize("arch", ARCHS)
def test_row_magnitude_prunes_the_smallest_of_every_row(models, arch):
    params, masks = run_method(models[arch], "magnitude_row", "0.25")
    for name, param in params.items():
        pruned_per_row = (~masks[name]).sum(1)
        assert (pruned_per_row == round(0.25 * param.shape[1])).all(), name
        magnitude = param.detach().abs()
        largest_pruned = magnitude.masked_fill(masks[name], -1).amax(1)
        smallest_kept = magnitude.masked_fill(~masks[name], float("inf")).amin(1)
        assert (largest_pruned <= smallest_kept).all(), name


# --- N:M ---------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("method", ["magnitude_nm", "wanda_nm", "sparsegpt_nm"])
@pytest.mark.parametrize(("n", "m"), [(7, 8), (1, 8), (3, 4), (2, 4)])
def test_every_nm_group_along_the_input_dimension_keeps_exactly_n(
    models, batches, arch, method, n, m
):
    params, masks = run_method(models[arch], method, f"{n}of{m}", batches=batches)
    for name, param in params.items():
        rows, cols = param.shape
        groups = masks[name].reshape(rows, cols // m, m)  # consecutive inputs of a row
        assert (groups.sum(-1) == n).all(), name
        if METHODS[method].needs_calibration:  # these zero what they prune, as they go
            assert torch.count_nonzero(param.detach()[~masks[name]]) == 0, name
    if method == "magnitude_nm":  # the kept are the largest of their group
        for name, param in params.items():
            magnitude = param.detach().abs().reshape(param.shape[0], -1, m)
            group_masks = masks[name].reshape(magnitude.shape)
            assert (
                magnitude.masked_fill(group_masks, -1).amax(-1)
                <= magnitude.masked_fill(~group_masks, float("inf")).amin(-1)
            ).all()


def test_nm_needs_input_dimension_divisible_by_m(models):
    with pytest.raises(ValueError, match="not a multiple of M=.*"):
        run_method(models["llama"], "magnitude_nm", "2of5")


# --- random control ----------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_random_control_matches_magnitude_counts_in_every_layer(models, arch):
    assert METHODS["random"].matches == "magnitude"  # what claim (d) pairs it with
    params, magnitude = run_method(models[arch], METHODS["random"].matches, "0.6")
    _, random_a = run_method(models[arch], "random", "0.6", seed=3)
    _, random_b = run_method(models[arch], "random", "0.6", seed=3)
    _, random_c = run_method(models[arch], "random", "0.6", seed=4)
    per_layer = {n: int((~m).sum()) for n, m in magnitude.items()}
    assert len(set(per_layer.values())) > 1  # global pruning: layers differ, so this bites
    for name in params:
        assert int((~random_a[name]).sum()) == per_layer[name], name
        assert torch.equal(random_a[name], random_b[name]), name  # seeded
    assert any(not torch.equal(random_a[n], random_c[n]) for n in params)
    overlap = sum(int((~random_a[n] & ~magnitude[n]).sum()) for n in params)
    assert overlap < 0.8 * sum(per_layer.values())  # not the magnitude mask in disguise


# --- Wanda -------------------------------------------------------------------------------


def test_wanda_scores_equal_a_hand_computed_example():
    linear = torch.nn.Linear(4, 2, bias=False)
    linear.weight.data = torch.tensor([[1.0, -2.0, 3.0, -4.0], [4.0, 3.0, -2.0, 1.0]])
    norms = ColumnNorms(linear)
    norms.add(torch.tensor([[[3.0, 0.0, 1.0, 0.0], [4.0, 1.0, 0.0, 0.0]]]))  # [batch, seq, in]
    norms.add(torch.tensor([[[0.0, 0.0, 0.0, 2.0]]]))
    # ||X_j||_2 over the three tokens: sqrt(9+16)=5, 1, 1, 2
    expected = torch.tensor(
        [[1 * 5.0, 2 * 1.0, 3 * 1.0, 4 * 2.0], [4 * 5.0, 3 * 1.0, 2 * 1.0, 1 * 2.0]]
    )
    assert torch.allclose(wanda_scores(linear.weight, norms.sumsq), expected)


@pytest.mark.parametrize("arch", ARCHS)
def test_wanda_prunes_by_weight_times_input_norm_within_each_row(models, batches, arch):
    model = models[arch]
    first_block = transformer_blocks(model, batches)[0][0]
    names = [n for n in prunable_parameters(model) if n.startswith(first_block + ".")]
    inputs = linear_inputs(model, batches, names)  # block 0 sees the unpruned embeddings
    params, masks = run_method(model, "wanda", "0.5", batches=batches)
    for name in names:
        weight = prunable_parameters(model)[name].detach()
        scores = weight.abs() * inputs[name].norm(dim=0)[None, :]
        pruned_per_row = (~masks[name]).sum(1)
        assert (pruned_per_row == weight.shape[1] // 2).all()
        assert (
            scores.masked_fill(masks[name], -1).amax(1)
            <= scores.masked_fill(~masks[name], float("inf")).amin(1)
        ).all(), name
        kept = params[name].detach()[masks[name]]
        assert torch.equal(kept, weight[masks[name]])  # Wanda only zeroes, never updates


# --- SparseGPT ---------------------------------------------------------------------------


def _error(weight, pruned, x):
    return float(((weight - pruned) @ x.T).norm())


def test_sparsegpt_layer_reconstruction_beats_magnitude_on_calibration_data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1024, 256, generator=generator) @ torch.randn(256, 256, generator=generator)
    x = x * torch.rand(256, generator=generator) * 3  # correlated inputs of uneven scale
    weight = torch.randn(48, 256, generator=generator)
    hessian = Hessian(torch.nn.Linear(256, 48))
    for chunk in x.split(300):  # streamed, two column blocks of 128
        hessian.add(chunk)
    assert torch.allclose(hessian.h, x.T @ x / len(x), rtol=1e-4, atol=1e-3)
    for sparsity, nm in ((0.5, None), (None, (2, 4))):
        ours = weight.clone()
        mask = sparsegpt_prune(ours, hessian.h, sparsity=sparsity, nm=nm)
        assert torch.count_nonzero(ours[~mask]) == 0
        if nm is None:
            assert int((~mask).sum()) == weight.numel() // 2
            baseline = smallest_k_masks({"w": weight}, weight.numel() // 2)["w"]
        else:
            baseline = nm_masks(weight.abs(), 2, 4)
        assert _error(weight, ours, x) < 0.7 * _error(weight, weight * baseline, x)


@pytest.mark.parametrize("arch", ARCHS)
def test_sparsegpt_on_a_model_beats_magnitude_per_layer_on_calibration_data(models, batches, arch):
    # Norm gains and biases as after training: fresh LayerNorms (gain 1, bias 0) make every
    # input orthogonal to the all-ones vector, an exactly singular Hessian no trained model has.
    model = copy.deepcopy(models[arch])
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name.lower():
                param.add_(0.2 * torch.randn(param.shape, generator=generator))
    first_block = transformer_blocks(model, batches)[0][0]
    names = [n for n in prunable_parameters(model) if n.startswith(first_block + ".")]
    inputs = linear_inputs(model, batches, names)
    dense = prunable_parameters(model)
    params, masks = run_method(model, "sparsegpt", "0.5", batches=batches)
    _, magnitude = run_method(model, "magnitude_layer", "0.5")
    report = {}
    for name in names:
        weight = dense[name].detach()
        report[name] = (
            _error(weight, params[name].detach(), inputs[name]),
            _error(weight, weight * magnitude[name], inputs[name]),
        )
        assert torch.count_nonzero(params[name].detach()[~masks[name]]) == 0
    assert all(ours < theirs for ours, theirs in report.values()), report


def test_transformer_blocks_run_in_forward_order(models, batches):
    names = [n for n, _ in transformer_blocks(models["mbart"], batches)]
    assert names == ["encoder.layers.0", "encoder.layers.1", "decoder.layers.0", "decoder.layers.1"]


# --- quantization ------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [8, 6, 4, 3, 2])
def test_rtn_takes_at_most_two_to_the_bits_values_per_channel(models, bits):
    params, masks = run_method(models["llama"], "rtn", f"{bits}bit")
    dense = prunable_parameters(models["llama"])
    for name, param in params.items():
        q = param.detach()
        assert all(row.unique().numel() <= 2**bits for row in q), name
        step = dense[name].detach().abs().amax(1, keepdim=True) / (2 ** (bits - 1) - 1)
        assert ((q - dense[name].detach()).abs() <= step / 2 + 1e-7).all(), name
        assert bool(masks[name].all())
    if bits == 2:  # {-s, 0, s}: symmetric around an exact zero
        row = params[next(iter(params))].detach()[0]
        assert sorted(set(row.abs().tolist())) == [0.0, row.abs().max().item()]


def test_rtn_quantize_is_round_to_nearest_per_output_channel():
    weight = torch.tensor([[0.7, -0.1, 0.3], [-2.0, 1.1, 0.0]])
    # 3 bits: qmax 3; scales 0.7/3 and 2/3
    expected = torch.tensor([[0.7, 0.0, 0.7 / 3 * 1], [-2.0, 2 / 3 * 2, 0.0]])
    assert torch.allclose(rtn_quantize(weight, 3), expected)
