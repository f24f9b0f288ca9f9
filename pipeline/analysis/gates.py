"""The difficulty gates: does every difficulty level leave headroom for pruning to remove?

Two tables judge a level (a task's difficulty label in one regime), and a level that
fails enters no claim:

- the gates table (tables/gates.csv, :func:`gates_table`), from the results table before
  the verdict: its failed levels leave every claim (:func:`failed_levels`);
- the verdict's headroom gate (:func:`headroom`), on the resampled replicates of what is
  left: dense >= chance + ``analysis.headroom_se`` standard errors.

The gates table, per (setting, task, level) and pre-training seed (``pretrain_seed``:
every instance of a replicated model is judged apart, pipeline/instances.py; empty for a
model pre-trained once): the dense score (mean over fine-tuning seeds), the task's chance
level, the reference (Bayes) score, the from-scratch control of the same pre-training
seed, the distinct knowledge items the level asks (``n_items``) with the evaluation set's
standard error, and the gates (DESIGN.md, "Evidence"):

- headroom: dense >= chance + ``min_headroom_se`` standard errors of the evaluation set;
- knowledge: on a task that needs pre-trained knowledge (``NEEDS_PRETRAINING``), dense minus
  scratch >= ``min_gap`` of the metric's range (where the level has a control row);
- order: on a named difficulty axis (``analysis.difficulty.HARDNESS``), a level must not
  score above the next easier level of its task and regime by more than
  ``MAX_REVERSAL_SE`` standard errors of the difference. A reversed axis is not a
  difficulty axis in this world, and a claim about harder levels read on it would be
  noise (issue 12: a book model that had not learnt to read scored open 0.14, closed 0.19,
  and both levels cleared chance). ``contrast_se`` (easier minus this level, in SE) is
  shown on every level that has an easier neighbour.

- published: at 100% of the data (the whole training set), a dense run of a model with a
  published dev score on the task (pipeline/tasks/published.py) must not fall more than
  ``analysis.published_tolerance`` below it: a mis-tokenized task or a broken recipe would
  otherwise normalize every run of its cell against a broken baseline. A failure marks every
  level of that task and regime in its setting (the smaller fractions share the recipe);
  levels without a published score are unchecked (None) and listed as such.

A level that fails a gate has no headroom for a claim about pruning; the table says which.

The headroom gate, per (setting, model, task, difficulty, regime): the dense score (mean
over seeds) against chance plus ``analysis.headroom_se`` standard errors of one
evaluation: the standard deviation of the dense run's metric over the example resamples
(mean over seeds). Without per-example scores the binomial standard error of an
accuracy-like metric is used, and where neither exists only "above chance" is checked
(said in the row). Without a chance level nothing can be checked; the level is kept and
marked unverified.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.analysis.difficulty import ACROSS_TASKS, hardness
from pipeline.analysis.options import Analysis
from pipeline.analysis.resample import (
    CELL_KEYS,
    DENSE,
    GATE_KEYS,
    PRETRAIN,
    ZERO_SHOT,
    RunReplicates,
    at_base_budget,
    regime,
)
from pipeline.metrics import metric_span
from pipeline.paths import split_difficulty
from pipeline.study import task_options
from pipeline.tasks.synthetic import NEEDS_PRETRAINING

MIN_GAP = 0.10
MAX_REVERSAL_SE = 2.0
PUBLISHED_TOLERANCE = 0.03  # analysis.published_tolerance (a fraction of the metric)
# Metrics that are a mean of per-example 0/1 scores: the binomial standard error holds.
PROPORTIONS = ("accuracy", "exact_match")
# Correlations: the large-sample standard error (1 - r^2) / sqrt(n - 1); MCC (the phi
# coefficient of two binary variables) has the wider sqrt((1 - phi^2) / (n - 1)), which is
# what the bootstrap over examples gives too (tests/test_gates.py).
_CORRELATIONS = ("pearson", "spearman")

# A row's level and its metric: the first columns of the table and of its Markdown.
KEY = ["setting", "task", "difficulty", "regime", "pretrain_seed", "metric"]
COLUMNS = [
    *KEY,
    "n_seeds",
    "n_eval",
    "n_items",
    "dense",
    "dense_sd",
    "chance",
    "reference",
    "scratch",
    "se",
    "headroom_se",
    "needs_pretraining",
    "pretrained_gap",
    "gate_headroom",
    "gate_pretraining",
    "easier",
    "contrast_se",
    "gate_order",
    "passed",
    "chrf",
    "chrf_chance",
    "published",
    "published_source",
    "gate_published",
]
# Metrics shown beside the headline one (mean over seeds, and their chance level), for the
# levels whose runs report them: chrF beside BLEU (issue 12).
BESIDE = ("chrf",)


def standard_error(metric: str, value: float, n_eval: int, seed_values: list[float]) -> float:
    """The standard error of ``value`` on an evaluation set of ``n_eval`` examples (binomial
    for proportions, large-sample for MCC and correlations); for corpus metrics (BLEU) the
    spread over seeds, NaN with a single seed. Without per-example outcomes only: the
    study bootstraps over its examples (:func:`bootstrap_se`)."""
    if metric in PROPORTIONS:
        p = min(max(value, 0.5 / n_eval), 1 - 0.5 / n_eval)  # never a zero-width interval
        return math.sqrt(p * (1 - p) / n_eval)
    if metric == "mcc":
        return math.sqrt((1 - min(value * value, 1.0)) / max(n_eval - 1, 1))
    if metric in _CORRELATIONS:
        return (1 - min(value * value, 1.0)) / math.sqrt(max(n_eval - 1, 1))
    if len(seed_values) < 2:
        return float("nan")
    mean = sum(seed_values) / len(seed_values)
    var = sum((v - mean) ** 2 for v in seed_values) / (len(seed_values) - 1)
    return math.sqrt(var / len(seed_values))


BOOTSTRAP_SAMPLES = 200


def bootstrap_se(metric: str, runs: list[Any], samples: int = BOOTSTRAP_SAMPLES) -> float:
    """The standard error of one run's ``metric`` over resampled evaluation examples (the
    rows of its examples.parquet, pipeline/examples.py), averaged over the level's runs
    (seeds): one definition for every metric, corpus BLEU included, and for zero-shot
    runs, whose seeds do not differ."""
    from pipeline.tasks.metrics import from_examples

    rng = np.random.default_rng(0)
    errors = []
    for frame in runs:
        draws = [
            from_examples(metric, frame.iloc[rng.integers(len(frame), size=len(frame))])
            for _ in range(samples)
        ]
        errors.append(float(np.std(draws, ddof=1)))
    return float(np.mean(errors))


def gates_table(
    results: Any,
    settings: dict[str, Any],
    world_dir: Path | None,
    min_headroom_se: float = Analysis.headroom_se,  # analysis.headroom_se
    min_gap: float = MIN_GAP,
    examples: Any = None,
    published_tolerance: float = PUBLISHED_TOLERANCE,
) -> Any:
    """One row per (setting, task, level) of the dense runs in ``results`` (the study's
    results table); ``settings`` is the config's ``settings`` block (which model is the
    control, what a task needs from its setting). A ``chance`` column in ``results`` (the
    task's declared chance level, written by every run) is used where present; otherwise the
    level is computed by the task's declared rule (pipeline/tasks/chance.py). With
    ``examples`` (the study's examples table) the standard error is bootstrapped over the
    evaluation examples (:func:`bootstrap_se`), else taken from :func:`standard_error`."""
    import pandas as pd

    # The gates judge the protocol's own budget; a larger-budget arm's dense runs are not
    # levels of their own (nor are their examples).
    results = results[at_base_budget(results)]
    examples = None if examples is None else examples[at_base_budget(examples)]
    dense = results[results["compression"] == "dense"]
    dense = dense.assign(regime=regime(dense))  # a zero-shot level is a level of its own
    if PRETRAIN not in dense.columns:
        dense = dense.assign(**{PRETRAIN: float("nan")})
    out = []
    for (setting, task_name, difficulty, level_regime), level in dense.groupby(
        ["setting", "task", "difficulty", "regime"], sort=False
    ):
        block = settings[setting]
        model = block.get("task_models", {}).get(task_name, block["model"])  # a task's own
        controls = level[level["model"] == block.get("control_model")]
        for pretrain_seed, main in level[level["model"] == model].groupby(
            PRETRAIN, sort=True, dropna=False
        ):
            # The control of the same pre-training seed, else an unreplicated one.
            control = controls[_same_seed(controls[PRETRAIN], pretrain_seed)]
            if control.empty:
                control = controls[controls[PRETRAIN].isna()]
            level_key = (setting, task_name, difficulty, level_regime)
            row = _level_row(
                main, control, level_key, settings, world_dir, examples, min_headroom_se, min_gap
            )
            out.append({**row, PRETRAIN: None if _missing(pretrain_seed) else int(pretrain_seed)})
    table = pd.DataFrame(out, columns=COLUMNS).astype({PRETRAIN: "Int64", "n_items": "Int64"})
    table = with_order_gate(table)
    return with_published_gate(table, published_tolerance)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _same_seed(column: Any, seed: Any) -> Any:
    """Rows of ``column`` (pre-training seeds) equal to ``seed``, a missing one to missing."""
    return column.isna() if _missing(seed) else column == seed


def _level_row(
    main: Any,
    control: Any,
    level: tuple[str, str, str, str],
    settings: dict[str, Any],
    world_dir: Path | None,
    examples: Any,
    min_headroom_se: float,
    min_gap: float,
) -> dict[str, Any]:
    """One level's row (``level``: setting, task, difficulty, regime) for one pre-training
    seed: its dense runs ``main``, its scratch control's ``control``."""
    import pandas as pd

    from pipeline.tasks.chance import chance_level
    from pipeline.tasks.registry import get_task

    setting, task_name, difficulty, level_regime = level
    task = get_task(task_name).configure(difficulty, task_options({"settings": settings}, setting))
    metric = str(main["metric"].iloc[0])
    values = main["value"].astype(float).tolist()
    value = sum(values) / len(values)
    n_eval = int(main["n_eval"].iloc[0])
    if "chance" in main.columns and main["chance"].notna().any():
        chance = float(main["chance"].dropna().iloc[0])
    else:
        chance = chance_level(task, task.load_split("validation", world_dir))
    runs = _runs_of(examples, main) if examples is not None else []
    se = bootstrap_se(metric, runs) if runs else standard_error(metric, value, n_eval, values)
    item = "item_id" if runs and "item_id" in runs[0].columns else "example_id"
    n_items = int(pd.concat(runs)[item].nunique()) if runs else None
    headroom = (value - chance) / se if se > 0 else float("nan")
    scratch = float(control["value"].mean()) if not control.empty else float("nan")
    needs = task_name in NEEDS_PRETRAINING
    gap = (value - scratch) / metric_span(metric)
    gate_headroom = bool(headroom >= min_headroom_se)
    gate_pretraining = bool(gap >= min_gap) if needs and not math.isnan(scratch) else None
    reference = main["reference_score"].dropna()
    beside = _beside(main, task, world_dir)
    return {
        "setting": setting,
        "task": task_name,
        "difficulty": difficulty,
        "regime": level_regime,
        "metric": metric,
        "n_seeds": len(values),
        "n_eval": n_eval,
        "n_items": n_items,
        "dense": value,
        "dense_sd": float(pd.Series(values).std()) if len(values) > 1 else float("nan"),
        "chance": chance,
        "reference": float(reference.iloc[0]) if not reference.empty else float("nan"),
        "scratch": scratch,
        "se": se,
        "headroom_se": headroom,
        "needs_pretraining": needs,
        "pretrained_gap": gap if not math.isnan(scratch) else float("nan"),
        "gate_headroom": gate_headroom,
        "gate_pretraining": gate_pretraining,
        "passed": gate_headroom and gate_pretraining is not False,
        **beside,
        **_published(main, task_name),
    }


def _published(main: Any, task: str) -> dict[str, Any]:
    """The published dev score of the level's model on ``task`` and its source (NaN/None
    where none is published)."""
    from pipeline.tasks.published import published_score, staged_hub_id

    column = main["model_staged_json"] if "model_staged_json" in main.columns else [None]
    found = published_score(staged_hub_id(next(iter(column), None)), task)
    return {"published": found[0] if found else float("nan"),
            "published_source": found[1] if found else None}  # fmt: skip


def full_data(difficulty: str) -> bool:
    """A level that trains on the whole training set (every level but fractions below 1)."""
    axis, value = split_difficulty(difficulty)
    return axis != "fraction" or float(value) >= 1.0


def with_published_gate(table: Any, tolerance: float) -> Any:
    """``gate_published`` filled in (see the module docstring): judged at 100% data where a
    published score exists, the verdict carried to the task's other levels of its setting
    and regime; None where nothing was judged."""
    import pandas as pd

    full = table["difficulty"].map(full_data) & table["published"].notna()
    judged = table[full]
    ok = judged["dense"] >= judged["published"] - tolerance

    def key(row: Any) -> tuple:
        return row["setting"], row["task"], row["regime"], str(row[PRETRAIN])

    failed = {key(row) for (_, row), good in zip(judged.iterrows(), ok, strict=True) if not good}
    gate = []
    for index, row in table.iterrows():
        if key(row) in failed:
            gate.append(False)
        else:
            gate.append(bool(ok.loc[index]) if index in ok.index else None)
    out = table.assign(gate_published=pd.Series(gate, index=table.index, dtype=object))
    out["passed"] = out["passed"] & (out["gate_published"] != False)  # noqa: E712 (None)
    return out


def unchecked(table: Any) -> Any:
    """Full-data levels whose model has no published score on the task."""
    return table[table["difficulty"].map(full_data) & table["published"].isna()]


def with_order_gate(table: Any) -> Any:
    """``easier``, ``contrast_se`` and ``gate_order`` filled in (see the module docstring);
    a level whose order is reversed fails. The difference's SE treats the two levels'
    errors as independent (conservative where, as in the book, both ask the same
    questions). Axes without a named order (setting 4's tasks) are left unjudged."""
    easier_of: dict[Any, str] = {}
    contrast_of: dict[Any, float] = {}
    order_of: dict[Any, bool] = {}
    axis = table["difficulty"].map(lambda d: split_difficulty(d)[0])
    named = table[axis != ACROSS_TASKS]
    for _, group in named.groupby(["setting", "task", "regime", PRETRAIN], dropna=False):
        ranked = group.assign(
            rank=[hardness(*split_difficulty(d)) for d in group["difficulty"]]
        ).sort_values("rank")
        for (_, easier), (index, level) in zip(
            ranked.iloc[:-1].iterrows(), ranked.iloc[1:].iterrows(), strict=True
        ):
            se = math.hypot(easier["se"], level["se"])
            contrast = (easier["dense"] - level["dense"]) / se if se > 0 else float("nan")
            reverse = level["dense"] > easier["dense"] if se == 0 else contrast < -MAX_REVERSAL_SE
            easier_of[index], contrast_of[index] = easier["difficulty"], contrast
            order_of[index] = not bool(reverse)
    out = table.assign(
        easier=table.index.map(lambda i: easier_of.get(i)),
        contrast_se=table.index.map(lambda i: contrast_of.get(i, float("nan"))).astype(float),
        gate_order=table.index.map(lambda i: order_of.get(i)),
    )
    out["passed"] = out["passed"] & (out["gate_order"] != False)  # noqa: E712 (None: unjudged)
    return out


def _beside(main: Any, task: Any, world_dir: Path | None) -> dict[str, float]:
    """Each :data:`BESIDE` metric's mean over the level's runs and its chance level (the
    task's chance rule with that metric as the headline), NaN where the runs lack it."""
    from dataclasses import replace

    from pipeline.tasks.chance import chance_level

    out = {}
    for name in BESIDE:
        column = f"metric_{name}"
        known = column in main.columns and main[column].notna().any()
        out[name] = float(main[column].mean()) if known else float("nan")
        chance = float("nan")
        if known and world_dir is not None:
            rows = task.load_split("validation", world_dir)
            chance = chance_level(replace(task, metric=name), rows)
        out[f"{name}_chance"] = chance
    return out


def _runs_of(examples: Any, runs: Any) -> list[Any]:
    """Each run's rows of the examples table (matched on the run's identity, its
    pre-training seed included where the tables have one)."""
    keys = ["setting", "model", "task", "difficulty", "compression", "mode", "seed"]
    keys += [PRETRAIN] if PRETRAIN in examples.columns and PRETRAIN in runs.columns else []
    out = []
    for run in runs[keys].itertuples(index=False):
        match = examples
        for key, value in zip(keys, run, strict=True):
            match = match[_same_seed(match[key], value) if key == PRETRAIN else match[key] == value]
        if not match.empty:
            out.append(match)
    return out


# --- the verdict's headroom gate ---


def _standard_error(row: Any, replicates: np.ndarray, has_examples: bool) -> tuple[float, str]:
    if has_examples:
        return float(np.std(replicates, ddof=1)), "bootstrap"
    n = row.get("n_eval")
    if row["metric"] in PROPORTIONS and n is not None and np.isfinite(n) and n > 0:
        p = float(row["value"])
        return float(np.sqrt(max(p * (1 - p), 0.0) / n)), "binomial"
    return 0.0, "unknown"


def headroom(normalized: Any, rep: RunReplicates, n_se: float) -> Any:
    """One row per level: dense, chance, se, threshold, has_headroom, how (how the SE was
    obtained, or why the gate could not be checked)."""
    import pandas as pd

    frame = normalized.reset_index(drop=True)
    is_dense = (frame["compression"] == DENSE) & frame["mode"].isin([DENSE, ZERO_SHOT])
    is_dense &= at_base_budget(frame)  # the gate is the protocol's own; larger budgets share it
    rows = []
    for i in np.flatnonzero(is_dense.to_numpy()):
        row = frame.iloc[i]
        se, how = _standard_error(row, rep.value[i], bool(rep.has_examples[i]))
        rows.append(
            {
                **{k: row[k] for k in CELL_KEYS},
                "regime": regime(frame.iloc[[i]])[0],
                "dense": float(row["value"]),
                "chance": float(row["chance"]) if "chance" in frame.columns else np.nan,
                "se": se,
                "how": how,
            }
        )
    columns = GATE_KEYS + ["dense", "chance", "se", "threshold", "has_headroom", "how", "n_seeds"]
    if not rows:
        return pd.DataFrame(columns=columns)
    per_seed = pd.DataFrame(rows)
    table = (
        per_seed.groupby(GATE_KEYS)
        .agg(
            dense=("dense", "mean"),
            chance=("chance", "first"),
            se=("se", "mean"),
            how=("how", "first"),
            n_seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    table["threshold"] = table["chance"] + n_se * table["se"]
    known = table["chance"].notna()
    # An SE of 0 (a constant score on every resample) makes the threshold chance itself:
    # a dense score equal to chance must not pass on it, or a level at chance enters claims.
    above = (table["dense"] >= table["threshold"]) & (
        (table["se"] > 0) | (table["dense"] > table["chance"])
    )
    table["has_headroom"] = ~known | above
    table.loc[~known, "how"] = "unverified: no chance level"
    return table[columns]


def with_headroom(normalized: Any, gate: Any) -> Any:
    """The rows of levels that pass the gate."""
    keyed = normalized.assign(regime=regime(normalized))
    passed = gate[gate["has_headroom"]][GATE_KEYS]
    return keyed.merge(passed, on=GATE_KEYS, how="inner").drop(columns="regime")


# A gates-table row is the main model's level: the headroom gate's level without the model.
TABLE_KEYS = [key for key in GATE_KEYS if key != "model"]
GATES = ("gate_headroom", "gate_pretraining", "gate_order", "gate_published")


def failed_levels(normalized: Any, gates: Any) -> tuple[Any, list[dict[str, Any]]]:
    """(a boolean per row of ``normalized``: its level failed a gate of the gates table;
    the failed levels with the gates they failed): every run of such a level leaves every
    claim."""
    failed = gates[~gates["passed"].astype(bool)]
    if failed.empty:
        return np.zeros(len(normalized), dtype=bool), []
    keyed = normalized.assign(regime=regime(normalized))
    hit = (
        keyed[TABLE_KEYS]
        .merge(
            # a level failed for several pre-training seeds is one level
            failed[TABLE_KEYS].drop_duplicates(),
            on=TABLE_KEYS,
            how="left",
            indicator=True,
        )["_merge"]
        .eq("both")
        .to_numpy()
    )
    counts = keyed[hit].groupby(TABLE_KEYS).size()
    listed = [
        {
            **{k: row[k] for k in TABLE_KEYS},
            "failed": [g.removeprefix("gate_") for g in GATES if _failed(row.get(g))],
            "n_rows": int(counts.get(tuple(row[k] for k in TABLE_KEYS), 0)),
            # which pre-training seed failed (None: pre-training not replicated)
            "pretrain_seed": _seed_or_none(row.get("pretrain_seed")),
        }
        for row in failed.to_dict("records")
    ]
    return hit, listed


def _seed_or_none(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def _failed(gate: Any) -> bool:
    """A gate that was judged (not None/NaN: a gate that does not apply) and failed."""
    return gate is not None and gate == gate and not bool(gate)


def _seed_label(seed: Any) -> str:
    import pandas as pd

    return "" if pd.isna(seed) else f", pre-training seed {seed}"


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:.3g}"
    return "–" if value is pd.NA else str(value)


def gates_markdown(table: Any, min_headroom_se: float = Analysis.headroom_se) -> str:
    """The table as a Markdown section the verdict can include; ``min_headroom_se``: the
    headroom gate the table was judged by (analysis.headroom_se)."""
    shown = [
        *KEY,
        "n_seeds",
        "n_items",
        "dense",
        "se",
        "chance",
        "reference",
        "scratch",
        "headroom_se",
        "pretrained_gap",
        "contrast_se",
        "published",
        "passed",
    ]
    shown += [c for c in ("chrf", "chrf_chance") if table[c].notna().any()]
    failed = table[~table["passed"]]
    lines = [
        "## Difficulty gates: headroom on every level",
        "",
        f"Gate: dense >= chance + {min_headroom_se:g} SE of the evaluation set; on tasks "
        f"that need pre-trained knowledge, dense - scratch >= {MIN_GAP:g} of the metric's "
        f"range; a level of a named difficulty axis does not score above its easier "
        f"neighbour by more than {MAX_REVERSAL_SE:g} SE (contrast_se: easier minus this "
        f"level); at 100% data, dense is not more than the tolerance below the model's "
        f"published dev score (published). Each pre-training seed's levels are judged "
        f"apart (pretrain_seed); n_items: distinct knowledge items, se: the level's "
        f"standard error. {len(table) - len(failed)} of {len(table)} levels pass.",
        "",
        "| " + " | ".join(shown) + " |",
        "|" + "---|" * len(shown),
    ]
    lines += ["| " + " | ".join(_cell(row[c]) for c in shown) + " |" for _, row in table.iterrows()]
    if not failed.empty:
        excluded = ", ".join(
            f"{r.task} {r.difficulty} ({r.regime}{_seed_label(r.pretrain_seed)})"
            for r in failed.itertuples()
        )
        lines += ["", f"Excluded from the claims (a gate failed): {excluded}."]
    below = table[table["gate_published"].map(lambda g: g is False)]
    if not below.empty:
        named = ", ".join(
            f"{r.task} {r.difficulty} (dense {r.dense:.3g}, published {r.published:.3g}: "
            f"{r.published_source})"
            for r in below.itertuples()
        )
        lines += ["", f"Below the published dev score (gate_published): {named}."]
    missing = unchecked(table)
    if not missing.empty:
        named = ", ".join(sorted({f"{r.setting}/{r.task}" for r in missing.itertuples()}))
        lines += ["", f"Unchecked (no published dev score of the model): {named}."]
    return "\n".join(lines) + "\n"
