"""Per-example outcomes of a run (``examples.parquet`` beside its ``metrics.json``) and the
study-wide table that gathers them (``tables/examples.parquet``).

``example_id`` is the row's index in the task's evaluation split at the cell's difficulty.
That split is read whole, in a fixed order, and never depends on the seed, the compression
or the mode (a seed varies only the fine-tuning draws and the training subset), so every
run of one (model, task, difficulty) scores the same examples under the same ids: statistics
can pair compression levels and seeds example by example. ``item_id`` names the knowledge
item the example asks about (the task's ``item_id``: a fact, an adjective, an object, a
source sentence; a hub row is its own item): forty questions about one fact are one fact,
so intervals resample items, not rows. Columns are documented in docs/schema.md;
:func:`pipeline.tasks.metrics.from_examples` recomputes a run's metric from any subset of
its rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.schema import RUN_IDENTITY

EXAMPLES = pa.schema(
    [
        pa.field("example_id", pa.int64(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("score", pa.float64()),
        pa.field("prediction", pa.float64()),
        pa.field("target", pa.float64()),
        pa.field("stats", pa.list_(pa.float64())),
    ]
)
"""One run's per-example outcomes (NaN where a column does not apply to the metric)."""

# Run-record fields copied onto every example row of the gathered table: the run's
# identity as in results.parquet, and the name of the metric the rows score.
KEYS = pa.schema(
    [f for f in RUN_IDENTITY if f.name != "protocol_hash"]
    + [pa.field("metric", pa.string(), nullable=False)]
)
EXAMPLES_TABLE = pa.schema(list(KEYS) + list(EXAMPLES))
"""``tables/examples.parquet``: one row per example of every run."""


def item_ids(task: Any, rows: list[dict[str, Any]]) -> list[str]:
    """The ``item_id`` column of an evaluation split's rows (in their order)."""
    return [task.item_id(row) for row in rows]


def examples_table(columns: dict[str, list]) -> pa.Table:
    """The typed table of one run's per-example columns (as the adapters return them, plus
    ``item_id``: :func:`item_ids`; without it, each example is its own item)."""
    items = columns.get("item_id") or [str(i) for i in columns["example_id"]]
    columns = {**columns, "item_id": items}
    return pa.Table.from_pydict({f.name: columns[f.name] for f in EXAMPLES}, schema=EXAMPLES)


def write_examples(path: str | Path, columns: dict[str, list]) -> None:
    """Write one run's ``examples.parquet`` atomically."""
    import pyarrow.parquet as pq

    from pipeline.io import atomic_path

    table = examples_table(columns)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_examples(path: str | Path) -> Any:
    """One run's (or the gathered) examples as a pandas frame."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas()


def gather(runs: list[tuple[dict[str, Any], str | Path]]) -> pa.Table:
    """One table of every run's examples, each row keyed by its run record's identity
    (``runs``: (record, examples path) pairs). Concatenates Arrow tables, no pandas."""
    import pyarrow.parquet as pq

    from pipeline.load import LoadError

    tables = []
    for record, path in runs:
        try:
            table = pq.read_table(path)
            if "item_id" not in table.column_names:  # written before items: one per example
                ids = pa.compute.cast(table.column("example_id"), pa.string())
                table = table.append_column("item_id", ids)
            table = table.select(EXAMPLES.names).cast(EXAMPLES)
        except (pa.ArrowException, OSError, KeyError) as err:
            raise LoadError(path, f"not a readable examples table ({err})") from None
        keys = [
            pa.array(
                [record.get(f.name) if f.nullable else record[f.name]] * table.num_rows, type=f.type
            )
            for f in KEYS
        ]
        tables.append(pa.Table.from_arrays(keys + table.columns, schema=EXAMPLES_TABLE))
    if not tables:
        return EXAMPLES_TABLE.empty_table()
    return pa.concat_tables(tables)


def write_gathered(runs: list[tuple[dict[str, Any], str | Path]], path: str | Path) -> int:
    """Write :func:`gather`'s table to ``path`` atomically; returns its row count."""
    import pyarrow.parquet as pq

    from pipeline.io import atomic_path

    table = gather(runs)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return table.num_rows
