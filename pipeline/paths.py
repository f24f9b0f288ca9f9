"""Output path templates: every cell parameter is a path component (paths are the cache key).

The Snakefile fills the wildcards; verbs and tests build the same paths from these.
"""

WORLD = "world"
MODEL = "models/{model}"
MASK = "masks/{model}/{compression}/mask.npz"
# A randomised method (the random control) draws one mask per run seed: a seed replicates it.
SEEDED_MASK = "masks/{model}/{compression}/seed{seed}/mask.npz"
RUN = "runs/{model}/{task}/{difficulty}/{compression}/{mode}/seed{seed}"
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
CALIBRATION_CSV = "tables/calibration.csv"
CALIBRATION_MD = "tables/calibration.md"
VERDICT_JSON = "verdict.json"

DENSE = "dense"  # the compression label of an uncompressed run


def compression_label(method: str, level: str) -> str:
    return f"{method}-{level}"


def split_compression(label: str) -> tuple[str, str]:
    """``"magnitude-0.5"`` -> ``("magnitude", "0.5")``; ``"dense"`` -> ``("dense", "0")``."""
    if label == DENSE:
        return DENSE, "0"
    method, _, level = label.partition("-")
    return method, level


def split_difficulty(label: str) -> tuple[str, str]:
    """``"fraction-0.25"`` -> ``("fraction", "0.25")``."""
    axis, _, value = label.partition("-")
    return axis, value
