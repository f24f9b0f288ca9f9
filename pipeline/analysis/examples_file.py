"""The per-example table read one evaluation level at a time, so the verdict's memory is one
level's rows, not the study's (about 10^8 rows at paper size; docs/statistics.md §8).

The item bootstrap resamples each level (setting, model, task, difficulty) apart: every run
of a level scores the same examples and no statistic pairs examples across levels. So
:func:`pipeline.analysis.resample.run_replicates` asks an :class:`ExamplesFile` for one
level's rows (a pyarrow dataset scan with a filter on the level's keys: row groups whose
statistics exclude the level are skipped, the others decoded in batches and filtered as
they stream) and frees them before the next level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRETRAIN = "pretrain_seed"


@dataclass(frozen=True)
class ExamplesFile:
    """``tables/examples.parquet`` as a source of per-level frames; ``pretrain`` keeps the
    rows of one pre-training seed and those without one (hub models)."""

    path: Path
    pretrain: Any = None

    @property
    def _dataset(self) -> Any:
        import pyarrow.dataset as ds

        return ds.dataset(str(self.path), format="parquet")

    @property
    def columns(self) -> list[str]:
        return list(self._dataset.schema.names)

    def __len__(self) -> int:
        return int(self._dataset.count_rows())

    def for_pretrain(self, seed: Any) -> ExamplesFile:
        return ExamplesFile(self.path, seed)

    def _filter(self, keys: dict[str, Any]) -> Any:
        import pyarrow.dataset as ds

        condition = None
        for name, value in keys.items():
            term = ds.field(name) == value
            condition = term if condition is None else condition & term
        if self.pretrain is not None and PRETRAIN in self.columns:
            field = ds.field(PRETRAIN)
            own = (field == self.pretrain) | field.is_null()
            condition = own if condition is None else condition & own
        return condition

    def read(self, keys: dict[str, Any], columns: list[str] | None = None) -> Any:
        """The rows whose columns equal ``keys`` (pandas; dictionary columns decoded)."""
        table = self._dataset.to_table(columns=columns, filter=self._filter(keys))
        return table.to_pandas()


__all__ = ["ExamplesFile"]
