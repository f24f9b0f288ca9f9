"""Registry of transfer modes (paper §5). Adding one is a new module plus one line here;
the interface is in :mod:`pipeline.finetune.modes.base`."""

from __future__ import annotations

from pipeline.compress.registry import get_method
from pipeline.finetune.modes.base import TransferMode
from pipeline.finetune.modes.dense import Dense
from pipeline.finetune.modes.dense_freeze import DenseFreeze
from pipeline.finetune.modes.ptn import PostTrainingNoise
from pipeline.finetune.modes.ptq import PostTrainingQuantization
from pipeline.finetune.modes.qat import QuantizationAware
from pipeline.finetune.modes.sparse import Sparse
from pipeline.finetune.modes.sparse_to_dense import SparseToDense
from pipeline.finetune.modes.zero_shot import ZeroShot
from pipeline.paths import split_compression

# In this order the figures draw them (their hue order: pipeline/figures/curves.py).
MODES: dict[str, type[TransferMode]] = {
    m.name: m
    for m in (
        Dense,
        ZeroShot,
        DenseFreeze,
        Sparse,
        SparseToDense,
        PostTrainingQuantization,
        QuantizationAware,
        PostTrainingNoise,
    )
}

# The modes paper §5 compares (its Fig. 5-7): fine-tuning that starts from a pruning mask.
TRANSFER_MODES: tuple[str, ...] = tuple(
    name for name, m in MODES.items() if m.trains and m.uses_mask and not m.quantizes
)


def get_mode(name: str) -> TransferMode:
    try:
        return MODES[name]()
    except KeyError:
        raise ValueError(f"unknown transfer mode {name!r}; allowed: {sorted(MODES)}") from None


def fits(mode_name: str, compression: str) -> bool:
    """Whether a (non-dense) compression runs in a mode: a mode that applies its
    compression itself takes that kind only (ptq, qat: ``rtn-<b>bit``; ptn: ``noise-<s>sd``)."""
    kind = get_method(split_compression(compression)[0]).level_kind
    applies = MODES[mode_name].applies
    return applies is None or kind == applies
