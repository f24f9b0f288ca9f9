"""Registry of compression methods: adding one is a new module plus one line here."""

from __future__ import annotations

from pipeline.compress.base import CompressionMethod
from pipeline.compress.magnitude import MAGNITUDE

METHODS: dict[str, CompressionMethod] = {m.name: m for m in (MAGNITUDE,)}


def get_method(name: str) -> CompressionMethod:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown compression method {name!r}; allowed: {sorted(METHODS)}")
