"""Output path templates: every cell parameter is a path component (paths are the cache key).

The Snakefile fills the wildcards; verbs and tests build the same paths from these.
"""

from typing import Any

WORLD = "world"
MODEL = "models/{model}"
# A compression folder holds the bit-packed mask, its report and, for methods that change
# weights (SparseGPT, quantization), the new weights (pipeline/compress/apply.py).
COMPRESSED = "masks/{model}/{compression}"
# A randomised method (the random control) draws one mask per run seed: a seed replicates it.
SEEDED_COMPRESSED = COMPRESSED + "/seed{seed}"
MASK_FILE, REPORT_FILE, WEIGHTS_FILE = "mask.npz", "report.json", "weights.safetensors"
MASK = f"{COMPRESSED}/{MASK_FILE}"
SEEDED_MASK = f"{SEEDED_COMPRESSED}/{MASK_FILE}"
# ``{budget}``: empty for the protocol's own training budget (1x), ``/budget-4x`` for a run
# trained 4x as many optimizer steps (or epochs): a larger-budget arm sits in a folder of its
# own below its mode, beside the 1x runs (budget_component).
RUN = "runs/{model}/{task}/{difficulty}/{compression}/{mode}{budget}/seed{seed}"
METRICS = RUN + "/metrics.json"
EXAMPLES = RUN + "/examples.parquet"  # per-example scores (pipeline/examples.py)
FINETUNED = RUN + "/finetuned"
LMC = "lmc/{model}/{task}/{difficulty}/{compression}/seed{seed}/lmc.json"
RESULTS_TABLE = "tables/results.parquet"
EXAMPLES_TABLE = "tables/examples.parquet"
NORMALIZED_TABLE = "tables/normalized.parquet"
LMC_TABLE = "tables/lmc.parquet"
SAFE_SPARSITY_TABLE = "tables/safe_sparsity.parquet"
SAFE_SPARSITY_CSV = "tables/safe_sparsity.csv"
SUMMARY_TABLE = "tables/summary.parquet"
SUMMARY_CSV = "tables/summary.csv"
FIGURE = "figures/{figure}.png"
FIGURE_PDF = "figures/{figure}.pdf"
VERDICT_MD = "verdict.md"
GATES_CSV = "tables/gates.csv"
GATES_MD = "tables/gates.md"
VERDICT_JSON = "verdict.json"

DENSE = "dense"  # the compression label of an uncompressed run


def fmt(value: float) -> str:
    """The one way a number becomes a path component (0.50 -> "0.5")."""
    return f"{value:g}"


# Separates a compression level from the method's non-default options in a label:
# ``owl-0.5+lam=0.1`` (pipeline/compress/options.py).
OPTIONS_SEP = "+"


def compression_label(method: str, level: str, options_tag: str = "") -> str:
    return f"{method}-{level}{options_tag}"


def by_method_level(template: str) -> str:
    """``template`` with its ``{compression}`` wildcard written as ``{method}-{level}``: the
    compression rules match the method (which rule runs it) and the level apart."""
    return template.replace("{compression}", compression_label("{method}", "{level}"))


def run_of(wildcards: Any, compression: str, mode: str) -> dict[str, Any]:
    """The wildcards of another run of the same cell and seed: the dense run a post-training
    quantization starts from, the LMC end points (at 1x where the caller names no budget)."""
    return {"budget": "", **dict(wildcards.items()), "compression": compression, "mode": mode}


BASE_BUDGET = 1.0  # the protocol's own training budget: its runs keep the plain run paths
BUDGET_PREFIX = "/budget-"


def budget_component(budget: float) -> str:
    """The ``{budget}`` wildcard of a run: ``""`` at 1x (today's paths, cached results stay
    valid), ``"/budget-4x"`` for 4x the protocol's steps."""
    return "" if float(budget) == BASE_BUDGET else f"{BUDGET_PREFIX}{fmt(float(budget))}x"


def budget_factor(label: str) -> float:
    """A ``budgets`` key of a setting (``"4x"``) as its factor (4.0)."""
    return float(str(label).removesuffix("x"))


def budget_of(component: str) -> float:
    """``"/budget-4x"`` -> 4.0; ``""`` -> 1.0 (the inverse of :func:`budget_component`)."""
    if not component:
        return BASE_BUDGET
    return budget_factor(component.removeprefix(BUDGET_PREFIX))


def split_compression(label: str) -> tuple[str, str]:
    """``"magnitude-0.5"`` -> ``("magnitude", "0.5")``; ``"dense"`` -> ``("dense", "0")``;
    a method's options tag is not part of the level (``"owl-0.5+lam=0.1"`` -> ``("owl",
    "0.5")``): within a study each method runs with one option set."""
    if label == DENSE:
        return DENSE, "0"
    method, _, level = label.partition("-")
    return method, level.partition(OPTIONS_SEP)[0]


def options_tag_of(label: str) -> str:
    """``"owl-0.5+lam=0.1"`` -> ``"+lam=0.1"``: the non-default options a label names."""
    _, sep, tag = label.partition(OPTIONS_SEP)
    return sep + tag


def split_difficulty(label: str) -> tuple[str, str]:
    """``"fraction-0.25"`` -> ``("fraction", "0.25")``."""
    axis, _, value = label.partition("-")
    return axis, value
