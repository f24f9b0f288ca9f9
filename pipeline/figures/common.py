"""Shared plotting set-up: a headless backend, labels that state the runs behind a panel,
and atomic PNG + PDF output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.analysis.stats import seed_band
from pipeline.io import atomic_path

# Reference lines (dense = 1, tolerance) carry this gid so tests and readers can tell them
# from data lines.
REFERENCE = "reference"


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    # Sizes for a figure printed at its own size across a page (about 7 in): 7-9 pt text.
    sns.set_theme(
        style="whitegrid",
        context="paper",
        rc={
            "font.size": 8,
            "axes.titlesize": 8,
            "axes.labelsize": 8,
            "xtick.labelsize": 7,
            "ytick.labelsize": 7,
            "legend.fontsize": 7,
            "legend.title_fontsize": 8,
            "figure.titlesize": 9,
        },
    )
    return plt


def save(fig: Any, png: str | Path, pdf: str | Path | None = None) -> None:
    """Write the figure as PNG (and PDF), each atomically, then release it."""
    plt = pyplot()
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        if path is not None:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(fig)


def runs_note(frame: Any) -> str:
    """ "N seeds, M runs": what an error band in this panel is made of."""
    seeds = frame["seed"].nunique()
    return f"{seeds} seed{'s' if seeds != 1 else ''}, {len(frame)} runs"


def band_note(frame: Any, analysis: Any) -> str:
    """What the bands of a figure are; a figure of deterministic cells (zero-shot, run once)
    has one run per point and so no band to speak of."""
    if (
        frame.groupby(["where", "difficulty", "compressor", "mode", "x"])["seed"].nunique().max()
        > 1
    ):
        return f"band: {analysis.confidence:.0%} CI over seeds"
    return "one run per point (a deterministic cell runs once): no band"


def axis_label(frame: Any, kind: str) -> str:
    """The x label with the range actually plotted (the referee's request)."""
    lo, hi = frame["x"].min(), frame["x"].max()
    if kind == "quantization":
        return f"bit width ({hi:g} = dense … {lo:g})"
    return f"sparsity ({lo:g}–{hi:g})"


def reference_line(ax: Any, y: float, label: str, style: str = "--") -> None:
    line = ax.axhline(y, color="grey", lw=0.8, ls=style, zorder=0)
    line.set_gid(REFERENCE)
    line.set_label(f"_{label}")


def seed_lines(
    ax: Any, frame: Any, x: str, y: str, hue: str, order: list[str], colors: Any, confidence: float
) -> None:
    """One marked line per ``hue`` level (in ``order``, coloured by ``colors``) through the
    mean over seeds at each ``x``, its band the seeds' interval at ``confidence``; no legend
    (the figures write their own)."""
    import seaborn as sns

    sns.lineplot(
        frame,
        x=x,
        y=y,
        hue=hue,
        hue_order=order,
        palette=colors,
        marker="o",
        markersize=4,
        errorbar=seed_band(confidence),
        legend=False,
        ax=ax,
    )


def require_rows(frame: Any, what: str) -> None:
    if frame.empty:
        raise ValueError(
            f"no rows to draw for {what}; check the study's settings, methods "
            "and modes (figure_targets only asks for figures with planned rows)"
        )


def notice(title: str, lines: list[str]) -> Any:
    """A figure whose every level was excluded: its title and the reasons, not a crash and
    not an empty plot that reads as data."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.22 * len(lines)))
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    ax.text(0, 1, "\n".join(lines), va="top", fontsize=8, transform=ax.transAxes)
    return fig
