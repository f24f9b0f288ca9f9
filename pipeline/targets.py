"""The study's top-level targets: every figure the config plans, the analysis tables and
the results tables. They need both the study's cells and the figure registry (which plans
figures from those cells), so they live here, above both, not in pipeline/study.py."""

from __future__ import annotations

from pipeline import paths
from pipeline.analysis.printed_difficulty import PRINTED_CSV, PRINTED_TABLE
from pipeline.figures.registry import planned_figures
from pipeline.study import Study, lmc_targets


def figure_targets(study: Study) -> list[str]:
    """Every figure whose rows the study plans (each figure decides; see
    pipeline/figures/registry.py), the verdict, the safe-sparsity and summary tables:
    everything `snakemake --report` collects."""
    config = study.config  # the world and the reference scores have no Study field yet
    figures = [paths.FIGURE.format(figure=n) for n in planned_figures(study)]
    analysis = [paths.VERDICT_MD, paths.SAFE_SPARSITY_CSV, paths.SUMMARY_CSV]
    # The difficulty gates read chance levels from the synthetic world (the default study).
    analysis += [paths.GATES_CSV, paths.GATES_MD] if "world" in config else []
    # Paper Table 1 as the paper prints it, beside its measured form (measured_difficulty).
    analysis += [PRINTED_CSV] if config.get("reference_scores") else []
    return [f"{study.results_dir}/{t}" for t in figures + analysis]


def table_targets(study: Study) -> list[str]:
    """The results tables, the LMC table when the study plans paths, and the measured
    Table 1 when the config gives reference scores: what `all` asks for."""
    config = study.config  # the LMC paths and the reference scores have no Study field yet
    tables = [
        paths.NORMALIZED_TABLE,
        paths.SUMMARY_TABLE,
        paths.SAFE_SPARSITY_TABLE,
        paths.VERDICT_JSON,
    ]
    tables += [paths.LMC_TABLE] if lmc_targets(config) else []
    tables += [PRINTED_TABLE, PRINTED_CSV] if config.get("reference_scores") else []
    return [f"{study.results_dir}/{t}" for t in tables]
