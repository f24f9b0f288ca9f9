"""Staging hub artefacts: pinned revisions, the files a repository really holds, and the
``hub_mirror`` mapping that serves local stand-ins in place of the hub (tests, CI)."""
