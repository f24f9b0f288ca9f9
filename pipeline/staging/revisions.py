"""Pinned revisions and the ``hub_mirror`` mapping, shared by model and data staging.

A study pins every hub repository to a commit (``revision:``), so a rerun downloads the
same bytes. A config may carry the placeholder ``UNPINNED`` instead; staging from the hub
refuses it with a message saying how to pin, rather than silently taking ``main``.

``hub_mirror`` (a folder) maps every hub id ``owner/name`` to ``<hub_mirror>/owner/name``,
a local folder laid out like the repository; staging reads it instead of the hub and
records which folder it used. A folder has no commits, so the revision is not checked
there (it is still recorded, next to the mirror path).
"""

from __future__ import annotations

import re
from pathlib import Path

UNPINNED = "UNPINNED"
COMMIT = re.compile(r"[0-9a-f]{40}")


def check_revision(key: str, revision: str | None) -> str:
    """The revision to download, or ValueError naming the config ``key`` to pin."""
    if revision is None or not COMMIT.fullmatch(revision):
        raise ValueError(
            f"config key '{key}': {revision!r} is not a commit hash. Pin it before staging: "
            "the 40-hex commit of the repository's 'History' page on the hub, or "
            '`python -c "import huggingface_hub as h; print(h.HfApi().repo_info('
            "'<hub id>', repo_type='<model|dataset>').sha)\"` on a machine with internet"
        )
    return revision


def mirror_folder(mirror: str | Path, hub_id: str) -> Path:
    """The local stand-in of ``hub_id`` under ``mirror``; FileNotFoundError if absent."""
    folder = Path(mirror) / hub_id
    if not folder.is_dir():
        raise FileNotFoundError(f"hub_mirror: no folder {folder} for hub id {hub_id!r}")
    return folder
