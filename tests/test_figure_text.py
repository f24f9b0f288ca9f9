"""Every figure of the default study, drawn from a results table of its shape, read back as
a reader sees it: its text names things as the registries do (no path ids), panels that are
compared share their y range, no panel is empty, N:M is drawn as patterns."""

from __future__ import annotations

import re

import matplotlib
import pytest

from pipeline.analysis.difficulty import HARDNESS, LEVEL_LABELS
from pipeline.analysis.options import Analysis
from pipeline.figures import labels
from pipeline.figures.registry import FIGURES, planned_figures
from pipeline.finetune.modes import MODES
from pipeline.study import Study
from pipeline.tasks.registry import TASKS
from tests import figure_study
from tests.conftest import default

matplotlib.use("Agg")
ANALYSIS = Analysis(bootstrap_resamples=200)
RAW_ID = re.compile(
    r"syn_|fraction-|lang-|task-|book-|freq-|_nm\b|zero_shot|sparse_to_dense|dense_freeze"
)
SAME_SPAN = re.compile(r"\b(\d+)–\1 seed")  # "5–5 seeds"
CONFIG = default()
# The figures drawn from the results tables; the verdict's forest plot reads verdict.json
# and has its own text test (tests/test_analysis_verdict_page.py).
STUDY = Study.from_config(CONFIG)
NAMES = [n for n in planned_figures(STUDY) if FIGURES[n].table in ("normalized", "lmc")]


@pytest.fixture(scope="module")
def tables() -> dict:
    return {"normalized": figure_study.normalized(CONFIG), "lmc": figure_study.lmc(CONFIG)}


@pytest.fixture(scope="module")
def drawn(tables) -> dict:
    figures = {n: FIGURES[n].draw(tables[FIGURES[n].table], ANALYSIS) for n in NAMES}
    yield figures
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)


def texts(fig) -> list[str]:
    """Every string the figure prints: titles, labels, ticks, legends, tables, free text."""
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    legends = list(fig.legends)
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        out += [t.get_text() for t in ax.texts]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
        for table in ax.tables:
            out += [cell.get_text().get_text() for cell in table.get_celld().values()]
    for legend in legends:
        out += [legend.get_title().get_text()] + [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t]


def data_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.axison]


def test_the_default_study_plans_every_figure_kind():
    assert {
        "fig1_data_fraction",
        "fig4_across_tasks",
        "modes_languages",  # claim (c)'s transfer modes (setting 1 runs sparse transfer only)
        "fig9_data_fraction_nm4",
        "quantization",
        "fig10_lmc",
        "safe_sparsity",
        "measured_difficulty",
    } <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_no_raw_ids_and_no_degenerate_seed_spans(drawn, name):
    printed = texts(drawn[name])
    assert printed
    raw = [t for t in printed if RAW_ID.search(t)]
    assert not raw, (name, raw)
    spans = [t for t in printed if SAME_SPAN.search(t)]
    assert not spans, (name, spans)


@pytest.mark.parametrize("name", NAMES)
def test_no_empty_axes_and_a_page_wide_figure(drawn, name):
    fig = drawn[name]
    for ax in data_axes(fig):
        assert ax.lines or ax.collections or ax.patches, (name, ax.get_title())
    width, _ = fig.get_size_inches()
    assert width <= 7.5, (name, width)  # printed at its own size across a page


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("fig") or n == "quantization"])
def test_compared_panels_share_their_y_range(drawn, name):
    axes = data_axes(drawn[name])
    if name == "fig10_lmc":  # loss beside metric: different quantities
        return
    assert len({tuple(round(v, 9) for v in ax.get_ylim()) for ax in axes}) == 1, name


def test_safe_sparsity_shares_y_and_spreads_series(drawn):
    axes = data_axes(drawn["safe_sparsity"])
    assert len({ax.get_ylim() for ax in axes}) == 1
    for ax in axes:
        xs = [tuple(c.lines[0].get_xdata()) for c in ax.containers]
        assert len(set(xs)) == len(xs), ax.get_gid()  # no two series on the same x
        assert ax.get_legend() is None  # one legend, outside the panels
    assert len(drawn["safe_sparsity"].legends) == 1


def test_n_m_is_drawn_as_patterns(drawn):
    for name in ("fig1_data_fraction", "fig9_data_fraction_nm4"):
        nm = [ax for ax in data_axes(drawn[name]) if ax.get_xlabel().startswith("N:M")]
        assert nm, name
        for ax in nm:
            ticks = [t.get_text() for t in ax.get_xticklabels()]
            assert ticks == ["dense", "2:4", "1:4"], (name, ticks)
            assert list(ax.get_xticks()) == [0.0, 0.5, 0.75]  # at the sparsity each means


def test_a_single_valued_facet_does_not_stack_panels_in_one_column(drawn):
    """Fig. 1 has one task and three pruning methods: one row of three panels."""
    axes = data_axes(drawn["fig1_data_fraction"])
    assert len(axes) == 3
    assert len({round(ax.get_position().y0, 3) for ax in axes}) == 1
    assert "grammar" in drawn["fig1_data_fraction"]._suptitle.get_text()


def test_easy_and_hard_are_marked(drawn):
    legend = [t.get_text() for t in drawn["fig4_across_tasks"].legends[0].get_texts()]
    assert legend[0].startswith("fact check (easy, gap")  # setting 4's two tasks
    assert legend[1].startswith("cross-lingual fact check (hard, gap")
    fig1 = [t.get_text() for t in drawn["fig1_data_fraction"].legends[0].get_texts()]
    assert fig1[:2] == ["100% data (easy)", "2.5% data (hard)"]
    fig2 = [t.get_text() for t in drawn["fig2_languages"].legends[0].get_texts()]
    assert fig2[:2] == ["majority languages (easy)", "minority languages (hard)"]
    quant = [t.get_text() for t in drawn["quantization"].legends[0].get_texts()]
    assert quant[0].startswith("fact check (easy") and not any("difficulty" in t for t in quant)


def test_measured_difficulty_draws_the_control_apart_from_the_model(drawn, tables):
    fig = drawn["measured_difficulty"]
    model_ax, control_ax = [ax for ax in fig.axes if ax.patches]
    assert model_ax.get_title().startswith("model under study: tiny_roberta\n")
    assert control_ax.get_title().startswith("control, never compressed: tiny_roberta_scratch")
    names = [t.get_text() for t in model_ax.get_yticklabels()]
    assert names == ["fact check", "cross-lingual fact check"]  # each task once
    data = FIGURES["measured_difficulty"].data(tables["normalized"], ANALYSIS)
    model = data[~data["control"]].set_index("task")["difficulty"]
    widths = [p.get_width() for p in model_ax.patches]
    assert widths == pytest.approx([100 * model[t] for t in model.sort_values().index])
    (table,) = [t for ax in fig.axes for t in ax.tables]
    assert all(c.get_fontsize() >= 8 for c in table.get_celld().values())


def test_lmc_barrier_values_stay_off_the_lines(drawn):
    fig = drawn["fig10_lmc"]
    for ax in fig.axes:
        assert not ax.texts
        entries = [t.get_text() for t in ax.get_legend().get_texts()]
        assert entries[0].startswith("grammar, 100% data (easy): barrier ")
        assert entries[1].startswith("grammar, 2.5% data (hard): barrier ")
    assert "1 seed each" in fig._suptitle.get_text()


def test_every_registry_entry_has_a_printed_name():
    for name, task in TASKS.items():
        assert task.label and not RAW_ID.search(task.label), name
    for name, mode in MODES.items():
        assert mode.label and "_" not in mode.label, name
    assert set(HARDNESS) <= set(LEVEL_LABELS)
    assert labels.level("fraction-0.1") == "10% data"
    assert labels.level("lang-minority") == "minority languages"
    assert labels.level("book-closed") == "closed book"
    assert labels.level("freq-rare") == "rare facts"
    assert labels.task("sst2") == "SST-2"
    assert labels.seeds([5, 5]) == "5 seeds" and labels.seeds([1], "each") == "1 seed each"
    assert labels.seeds([2, 5]) == "2–5 seeds"
    assert labels.compression("magnitude_nm-2of4") == "magnitude, N:M 2:4"
    assert labels.compression("noise-0.5sd") == "noise, 0.5 x row std"
