"""Every registered figure draws exactly its data: the lines on the axes are the per-seed
means of the rows its data() selects, on a synthetic study that has rows for all of them."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.levels import compression_axis
from pipeline.analysis.options import Analysis
from pipeline.analysis.tables import normalize
from pipeline.figures import lmc
from pipeline.figures.common import REFERENCE, save
from pipeline.figures.curves import NM4
from pipeline.figures.paper import CURVE_FIGURES
from pipeline.figures.planned import _planned_rows, planned_rows
from pipeline.figures.registry import FIGURES, planned_figures
from pipeline.study import Study
from tests.conftest import default, run_identity

matplotlib.use("Agg")
ANALYSIS = Analysis(bootstrap_resamples=500)
LEVELS = {  # setting -> (task, difficulty label)
    "data_fraction": [("syn_a", "fraction-1"), ("syn_a", "fraction-0.25")],
    "languages": [("translate", "language-majority"), ("translate", "language-minority")],
    "book": [("qa", "book-open"), ("qa", "book-closed")],
    "across_tasks": [("syn_hard", "task-syn_hard"), ("syn_easy", "task-syn_easy")],
}
COMPRESSIONS = [
    ("magnitude", "0.3"),
    ("magnitude", "0.6"),
    ("magnitude_nm", "7of8"),
    ("magnitude_nm", "2of4"),
    ("random", "0.3"),
    ("random", "0.6"),
    ("rtn", "8bit"),
    ("rtn", "2bit"),
]
MODES = ("dense_freeze", "sparse", "sparse_to_dense")
REFERENCE_SCORE = {"syn_easy": 0.82, "syn_hard": 0.95}  # dense scores 0.8: gaps 2.4%, 15.8%


@pytest.fixture(scope="module")
def normalized() -> pd.DataFrame:
    rows = []
    for setting, levels in LEVELS.items():
        for i, (task, difficulty) in enumerate(levels):
            for seed in range(3):
                base = run_identity(
                    setting, task, difficulty, seed, reference_score=REFERENCE_SCORE.get(task)
                )
                rows.append(
                    {
                        **base,
                        "compression": "dense",
                        "method": "dense",
                        "level": "0",
                        "mode": "dense",
                        "value": 0.8,
                    }
                )
                for j, (method, lv) in enumerate(COMPRESSIONS):
                    x = compression_axis(method, lv).x
                    for k, mode in enumerate(MODES):
                        # distinct values per series, level, mode and seed
                        value = 0.8 * (
                            1
                            - 0.1 * (i + 1) * (x if x < 1 else 1 / x)
                            - 0.01 * k
                            - 0.003 * seed
                            - 0.001 * j
                        )
                        rows.append(
                            {
                                **base,
                                "compression": f"{method}-{lv}",
                                "method": method,
                                "level": lv,
                                "mode": mode,
                                "value": value,
                            }
                        )
    return normalize(pd.DataFrame(rows))


def data_lines(ax) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
        for line in ax.get_lines()
        if line.get_gid() != REFERENCE and len(line.get_xdata())
    ]


def panel_rows(spec, frame: pd.DataFrame, ax) -> pd.DataFrame:
    """The rows behind one panel, from the facet values it carries as its gid."""
    values = ax.get_gid().split("|")
    names = [spec.row, spec.col] if spec.row else [spec.col]
    for name, value in zip(names, values, strict=True):
        frame = frame[frame[name].astype(str) == value]
    return frame


@pytest.mark.parametrize("spec", CURVE_FIGURES, ids=lambda s: s.name)
def test_curve_figure_draws_the_seed_means_of_its_rows(spec, normalized):
    data = spec.data(normalized, ANALYSIS)
    assert not data.empty
    if spec.setting:
        assert set(data["setting"]) == {spec.setting}
    assert set(data["kind"]) == {spec.kind}
    structures = set(data["structure"])
    assert {
        "nm4": structures == {NM4},
        "unstructured": structures == {"unstructured"},
        "nm": structures == {NM4, "N:M, M=8"},
        "any": True,
    }[spec.structures]
    if spec.modes:
        assert set(data["mode"]) <= set(spec.modes)
    # every curve starts at dense: normalized 1 at sparsity 0 (or 32 bits)
    origin = data[data["is_dense"]]
    assert len(origin) and (origin["normalized"] == 1.0).all()
    assert set(origin["x"]) == {0.0 if spec.kind == "pruning" else 32.0}

    fig = spec.draw(normalized, ANALYSIS)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == data.groupby([c for c in (spec.row, spec.col) if c]).ngroups
    for ax in axes:
        rows = panel_rows(spec, data, ax)
        expected = [
            (g["x"].to_numpy(), g["normalized"].to_numpy())
            for _, g in rows.groupby(spec.hue)[["x", "normalized"]]
            .apply(lambda g: g.groupby("x")["normalized"].mean().reset_index())
            .groupby(level=0)
        ]
        drawn = data_lines(ax)
        assert len(drawn) == len(expected)
        for ex, ey in expected:
            assert any(np.allclose(ex, dx) and np.allclose(ey, dy) for dx, dy in drawn), (
                spec.name,
                ax.get_title(),
                ey,
            )
        assert f"{rows['seed'].nunique()} seeds, {len(rows)} runs" in ax.get_title()
        if spec.kind == "pruning" and rows["structure"].str.startswith("N:M").all():
            ticks = [t.get_text() for t in ax.get_xticklabels()]
            assert ticks[0] == "dense" and set(ticks[1:]) <= {"2:4", "1:4", "7:8", "1:8"}
        else:
            lo, hi = rows["x"].min(), rows["x"].max()
            assert f"{lo:g}" in ax.get_xlabel() and f"{hi:g}" in ax.get_xlabel()


def test_fig1_shows_every_pruning_method_and_fig9_n_m_with_m4(normalized):
    fig1 = FIGURES["fig1_data_fraction"].data(normalized, ANALYSIS)
    assert set(fig1["compressor"]) == {
        "magnitude (unstructured)",
        "magnitude_nm (N:M, M=4)",
        "magnitude_nm (N:M, M=8)",
        "random (unstructured)",
    }
    fig9 = FIGURES["fig9_data_fraction_nm4"].data(normalized, ANALYSIS)
    assert set(fig9["compressor"]) == {"magnitude_nm (N:M, M=4)"}
    assert set(fig9["x"]) == {0.0, 0.5}


def test_transfer_mode_figure_has_one_line_per_mode(normalized):
    spec = next(s for s in CURVE_FIGURES if s.name == "fig5_modes_data_fraction")
    data = spec.data(normalized, ANALYSIS)
    assert set(data["mode"]) == set(MODES) and set(data["method"]) == {"magnitude"}
    fig = spec.draw(normalized, ANALYSIS)
    assert all(len(data_lines(ax)) == 3 for ax in fig.axes if ax.get_title())


def lmc_table() -> pd.DataFrame:
    """Two paths (easy and hard level), two seeds, a bump of known height in the loss."""
    rows = []
    alphas = np.linspace(0, 1, 5)
    for difficulty, bump in (("fraction-1", 0.05), ("fraction-0.25", 0.4)):
        for seed in (0, 1):
            loss = 0.5 + 0.1 * alphas + bump * np.sin(np.pi * alphas) + 0.01 * seed
            value = 0.8 - bump * np.sin(np.pi * alphas)
            # the barrier over the straight line between the end points (pipeline/lmc.py)
            loss_barrier = (loss - (0.5 + 0.1 * alphas + 0.01 * seed)).max()
            metric_barrier = (0.8 - value).max()
            rows += [
                {
                    "model": "m",
                    "task": "syn_a",
                    "difficulty": difficulty,
                    "compression": "magnitude-0.6",
                    "seed": seed,
                    "alpha": a,
                    "loss": loss_a,
                    "metric": "accuracy",
                    "value": v,
                    "loss_barrier": loss_barrier,
                    "metric_barrier": metric_barrier,
                }
                for a, loss_a, v in zip(alphas, loss, value, strict=True)
            ]
    return pd.DataFrame(rows)


def test_lmc_figure_draws_both_paths_and_marks_each_barrier():
    table = lmc_table()
    data = lmc.data(table, ANALYSIS)
    assert list(dict.fromkeys(data["difficulty"])) == ["fraction-1", "fraction-0.25"]
    fig = lmc.draw(table, ANALYSIS)
    loss_ax, metric_ax = fig.axes[:2]
    for ax, column in ((loss_ax, "loss"), (metric_ax, "value")):
        drawn = data_lines(ax)
        assert len(drawn) == 2
        for i, difficulty in enumerate(["fraction-1", "fraction-0.25"]):  # easy first
            mean = data[data["difficulty"] == difficulty].groupby("alpha")[column].mean()
            assert np.allclose(drawn[i][1], mean.to_numpy())
    marks = [c for c in loss_ax.collections if c.get_gid() == lmc.BARRIER]
    assert len(marks) == 2
    assert not loss_ax.texts  # the values are in the legend, not over the lines
    texts = [t.get_text().split(": ", 1)[1] for t in loss_ax.get_legend().get_texts()]
    for mark, difficulty, text in zip(marks, ["fraction-1", "fraction-0.25"], texts, strict=True):
        rows = data[data["difficulty"] == difficulty]
        mean = rows.groupby("alpha")["loss"].mean()
        barrier = rows["loss_barrier"].mean()
        (x0, y0), (x1, y1) = mark.get_segments()[0]
        # where the bump lifts the path furthest above the line (paths side by side) ...
        assert x0 == x1 == pytest.approx(0.5, abs=0.02)
        assert y1 - y0 == pytest.approx(barrier)  # ... from the line to the path
        assert text.startswith(f"barrier {barrier:.3f} [")  # with its interval over seeds
    # the planted bump is larger on the harder level, and so is its barrier
    assert float(texts[0].split()[1]) < float(texts[1].split()[1])


def test_safe_sparsity_figure_plots_the_table_with_its_intervals(normalized):
    spec = FIGURES["safe_sparsity"]
    data = spec.data(normalized, ANALYSIS)
    assert set(data["mode"]) == {"sparse"}
    fig = spec.draw(normalized, ANALYSIS)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == data[["setting", "task"]].drop_duplicates().shape[0] - 1  # across: 1
    assert {ax.get_gid().split("|")[0] for ax in axes} == set(data["setting"])
    for ax in axes:
        setting, _, task = ax.get_gid().partition("|")
        rows = data[(data["setting"] == setting) & ((data["task"] == task) | (task == ""))]
        for container in ax.containers:
            series = rows[rows["compressor"] == container.get_label()]
            line = container.lines[0]
            assert np.allclose(line.get_ydata(), series["safe_sparsity"].to_numpy())


def test_figures_save_png_and_pdf(normalized, tmp_path):
    fig = FIGURES["fig1_data_fraction"].draw(normalized, ANALYSIS)
    save(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"


def test_a_figure_without_rows_says_so(normalized):
    only_setting_1 = normalized[normalized["setting"] == "data_fraction"]
    with pytest.raises(ValueError, match="no rows to draw for fig2_languages"):
        FIGURES["fig2_languages"].draw(only_setting_1, ANALYSIS)


def test_planned_rows_are_built_once_per_study_and_never_another_studys():
    study = Study.from_config(default())
    rows = planned_rows(study)
    assert len(rows) == len(study.cells) > 0
    assert _planned_rows(study) is _planned_rows(study)  # built once, then served
    rows["task"] = "edited"  # a caller's edit stays in its copy
    assert "edited" not in set(planned_rows(study)["task"])
    # Studies hash by identity: the same config built again is another key, and a smaller
    # study (one setting) gets its own rows, not the first study's.
    again = Study.from_config(default())
    assert again != study and _planned_rows(again) is not _planned_rows(study)
    one = default()
    one["settings"] = {"data_fraction": one["settings"]["data_fraction"]}
    small = planned_rows(Study.from_config(one))
    assert set(small["setting"]) == {"data_fraction"} < set(planned_rows(study)["setting"])
    assert len(small) == len(Study.from_config(one).cells) < len(rows)


def test_figure_targets_follow_the_config():
    config = default()
    config["settings"] = {"data_fraction": config["settings"]["data_fraction"]}
    config["settings"]["data_fraction"].pop("methods", None)  # every method of the study
    config["settings"]["data_fraction"].pop("modes", None)  # and every mode
    config["compression"] = {"methods": ["magnitude"], "sparsities": [0.5]}
    config["modes"] = ["dense", "sparse"]
    base = set(planned_figures(Study.from_config(config)))
    assert {"fig1_data_fraction", "safe_sparsity"} <= base
    assert not base & {"fig5_modes_data_fraction", "fig9_data_fraction_nm4", "quantization"}
    config["modes"] = ["dense", "sparse", "sparse_to_dense", "qat"]  # qat: the rtn arm
    config["compression"] = {
        "methods": ["magnitude", "magnitude_nm", "rtn"],
        "sparsities": [0.5],
        "nm_patterns": ["2:4"],
        "bits": [4],
    }
    more = set(planned_figures(Study.from_config(config)))
    assert {"fig5_modes_data_fraction", "fig9_data_fraction_nm4", "quantization"} <= more
    assert not more & {"fig2_languages", "fig4_across_tasks", "fig6_modes_across_tasks"}


def test_measured_difficulty_draws_the_measured_across_task_difficulty(normalized):
    spec = FIGURES["measured_difficulty"]
    data = spec.data(normalized, ANALYSIS)
    assert list(data["task"]) == ["syn_easy", "syn_hard"]
    assert data["difficulty"].to_numpy() == pytest.approx([0.02 / 0.82, 0.15 / 0.95])
    fig = spec.draw(normalized, ANALYSIS)
    bars = [p.get_width() for p in fig.axes[0].patches]
    assert bars == pytest.approx([100 * 0.02 / 0.82, 100 * 0.15 / 0.95])
    cells = fig.axes[1].tables[0].get_celld()
    assert cells[(2, 0)].get_text().get_text() == "syn_hard"
    assert cells[(2, 4)].get_text().get_text() == f"{100 * 0.15 / 0.95:.2f}"


def test_across_task_figure_orders_tasks_by_measured_difficulty(normalized):
    data = FIGURES["fig4_across_tasks"].data(normalized, ANALYSIS)
    order = data.groupby("task")["hardness"].first().sort_values()
    assert list(order.index) == ["syn_easy", "syn_hard"]
    fig = FIGURES["fig4_across_tasks"].draw(normalized, ANALYSIS)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend.index("syn_easy (easy, gap 2%)") < legend.index("syn_hard (hard, gap 16%)")


def test_the_title_names_a_band_only_where_seeds_make_one(normalized):
    spec = next(s for s in CURVE_FIGURES if s.name == "fig1_data_fraction")
    title = spec.draw(normalized, ANALYSIS)._suptitle.get_text()
    assert "CI over seeds" in title
    once = normalized[normalized["seed"] == 0]  # a deterministic study: one run per cell
    title = spec.draw(once, ANALYSIS)._suptitle.get_text()
    assert "CI over seeds" not in title and "one run per point" in title
