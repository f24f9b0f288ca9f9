"""docs/paper-map.md against the plan of configs/paper.yaml: every figure and table of the
paper has a row, every target is a figure the config plans (what `all_figures` asks for:
pipeline.targets.figure_targets is its input) and every planned figure is in the map, and each row's
**Rows** selection holds in the rows that figure will draw (so a panel the map promises,
e.g. Fig. 1(b)'s N:M M=8 curves, cannot silently vanish from the plan)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.figures.registry import FIGURES
from pipeline.study import Study
from pipeline.targets import figure_targets
from tests.conftest import paper

REPO = Path(__file__).resolve().parents[1]
MAP = REPO / "docs" / "paper-map.md"
# The paper's figures and tables (captions of seeds/junk-dna-paper.txt), with the panels
# the paper letters: (a) unstructured, (b) N:M with M=8.
PAPER = [f"Fig. {n}" for n in range(1, 11)] + ["Table 1", "Table 2"]
LETTERED = {"Fig. 1", "Fig. 2", "Fig. 4", "Fig. 5"}


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table of ``text`` as rows of header -> cell."""
    out, header = [], None
    for line in text.splitlines() + [""]:
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            out.append([])
        elif not set("".join(cells)) <= set("-: "):
            out[-1].append(dict(zip(header, cells, strict=True)))
    return out


def targets(cell: str) -> set[str]:
    return set(re.findall(r"`((?:figures|tables)/[^`]+)`", cell))


def selection(cell: str) -> dict[str, list[str]]:
    """``col=a / b; col2=c`` -> {col: [a, b], col2: [c]}."""
    text = cell.strip().strip("`")
    if not text:
        return {}
    terms = [t.split("=", 1) for t in text.split(";")]
    return {k.strip(): [v.strip() for v in vs.split(" / ")] for k, vs in terms}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return [row for table in tables(MAP.read_text()) for row in table]


def test_every_figure_and_table_of_the_paper_has_a_row(rows):
    named = [r["Paper"] for r in rows if "Paper" in r]
    assert set(PAPER) <= set(named), set(PAPER) - set(named)
    for figure in LETTERED:
        panels = " ".join(r["Panel"] for r in rows if r.get("Paper") == figure)
        assert "(a)" in panels and "(b)" in panels, figure


def test_the_map_names_exactly_the_planned_figures(rows):
    config = paper()
    planned = {
        t.removeprefix(config["results_dir"] + "/")
        for t in figure_targets(Study.from_config(config))
        if t.endswith(".png") or t.endswith("printed_difficulty.csv")
    }
    mapped = set().union(*(targets(r["Target"]) for r in rows))
    assert mapped == planned
    # Figures 1-10 and Table 1 are all planned.
    for n in range(1, 11):
        assert any(re.fullmatch(rf"figures/fig{n}_\w+\.png", t) for t in planned), n
    assert {"tables/printed_difficulty.csv", "figures/measured_difficulty.png"} <= planned


def test_each_rows_selection_holds_in_the_planned_rows(rows):
    config = paper()
    checked = 0
    for row in rows:
        chosen = selection(row.get("Rows", ""))
        figures = [t for t in targets(row["Target"]) if t.startswith("figures/")]
        if not chosen or not figures:
            continue
        name = Path(figures[0]).stem
        frame = FIGURES[name].rows(Study.from_config(config))
        keep = frame.index == frame.index
        for column, values in chosen.items():
            have = set(frame[column].astype(str))
            assert set(values) <= have, (row.get("Paper", row.get("Added")), column, have)
            keep &= frame[column].astype(str).isin(values).to_numpy()
        assert keep.any(), (row.get("Paper", row.get("Added")), chosen)
        checked += 1
    assert checked >= 15


def test_a_missing_panel_fails_the_check():
    """Fig. 1(b) is planned by setting 1's magnitude_nm; without it the selection fails."""
    config = paper()
    config["settings"]["data_fraction"]["methods"].remove("magnitude_nm")
    frame = FIGURES["fig1_data_fraction"].rows(Study.from_config(config))
    assert "N:M, M=8" not in set(frame["structure"])
