"""One check for a config block read into a dataclass or onto a dict of defaults: every key
it gives is one the reader knows, else a short error naming the block and the allowed keys."""

from __future__ import annotations

from collections.abc import Iterable


def check_known(given: Iterable[str], allowed: Iterable[str], where: str) -> None:
    """Raise ValueError naming ``where`` (a config block) if ``given`` holds a key outside
    ``allowed``."""
    allowed = set(allowed)
    unknown = set(given) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
