"""Where a verdict comes from: the analysis settings as first recorded for a results folder,
the code's commit, package versions and the pre-training seeds.

The margin and the pairs decide verdicts, so they must be fixed before the data are seen.
``collect``, when it first gathers a study's results (before any statistic is computed),
records the hash of the analysis settings beside the tables (``analysis_record.json``,
never overwritten); a verdict on a folder without a record (tables gathered by older code)
records it then. Every verdict prints the recorded hash and warns when the settings in force
differ from it.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.analysis.options import Analysis
from pipeline.analysis.resample import pretrain_seeds
from pipeline.io import write_json

RECORD = "analysis_record.json"
PACKAGES = ("numpy", "pandas", "scipy", "pyarrow", "matplotlib", "snakemake")


def analysis_record(folder: Path, analysis: Analysis, by: str = "verdict") -> dict[str, Any]:
    """The analysis hash recorded first for ``folder`` (written now, naming the verb ``by``
    that wrote it, if there is none) and whether the settings in force still match it."""
    path = Path(folder) / RECORD
    if path.exists():
        recorded = json.loads(path.read_text())
    else:
        recorded = {
            "analysis_hash": analysis.digest,
            "analysis": json.loads(analysis.to_json()),
            "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "recorded_by": by,
        }
        write_json(path, recorded)
    return {
        "recorded_hash": recorded["analysis_hash"],
        "recorded_at": recorded["recorded_at"],
        "recorded_by": recorded.get("recorded_by", "verdict"),
        "current_hash": analysis.digest,
        "changed": recorded["analysis_hash"] != analysis.digest,
        "recorded": recorded["analysis"],
    }


def commit() -> str:
    """The code's git commit (with ``+dirty`` for uncommitted changes), or "unknown"."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def versions(normalized: Any) -> dict[str, str]:
    """Versions of the analysis' packages, and of those the runs recorded (torch, ...)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    if "versions_json" in normalized.columns:
        for text in normalized["versions_json"].dropna().unique():
            for key, value in json.loads(text).items():
                out.setdefault(f"runs: {key}", set()).add(value)
        out = {k: ", ".join(sorted(v)) if isinstance(v, set) else v for k, v in out.items()}
    return out


def provenance(normalized: Any, analysis: Analysis, folder: Path | None) -> dict[str, Any]:
    """Everything the verdict's provenance section prints (JSON-ready)."""
    hashes = (
        sorted(normalized["protocol_hash"].dropna().unique().tolist())
        if "protocol_hash" in normalized.columns
        else []
    )
    return {
        "commit": commit(),
        "analysis_hash": analysis.digest,
        "record": None if folder is None else analysis_record(folder, analysis),
        "protocol_hashes": hashes,
        "versions": versions(normalized),
        "pretrain_seeds": [int(s) for s in pretrain_seeds(normalized)],
        "finetune_seeds": sorted(int(s) for s in normalized["seed"].dropna().unique()),
    }
