"""Runs write per-example outcomes that recompute their metrics.json value, share example
ids across seeds and compressions (paired comparisons), carry the task's chance level, and
`collect` gathers them into one typed table keyed like results.parquet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow.parquet as pq
import pytest
from test_finetune_architectures import GENERATION_ROWS, CopyTask, tiny_mbart  # noqa: F401 (fixture)

from pipeline.cli import main
from pipeline.examples import EXAMPLES, EXAMPLES_TABLE, item_ids, read_examples
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.run import load_for_task
from pipeline.io import write_json
from pipeline.tasks.metrics import from_examples
from pipeline.tasks.registry import get_task
from tests.conftest import tiny_run


@pytest.fixture(scope="module")
def runs(tiny_roberta, tiny_world, mask_file, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cells = [(0, "dense", "dense"), (1, "dense", "dense"), (0, "magnitude-0.5", "sparse")]
    out = []
    for seed, compression, mode in cells:
        folder = root / f"{compression}-{mode}-{seed}"
        record = tiny_run(
            tiny_roberta,
            tiny_world,
            compression,
            mode,
            masks_path=mask_file if compression != "dense" else None,
            difficulty="fraction-0.5",
            protocol=Protocol(lr=3e-3, steps=80, batch_size=16, max_length=24, seed=seed),
            subset_seed=seed,  # as in the study: a seed also draws the data-fraction subset
            examples_path=folder / "examples.parquet",
        )
        write_json(folder / "metrics.json", record)
        out.append((folder, record))
    return out


def test_examples_recompute_the_recorded_metric_and_pair_across_runs(runs, tiny_world):
    frames = [read_examples(folder / "examples.parquet") for folder, _ in runs]
    assert pq.read_schema(runs[0][0] / "examples.parquet").equals(EXAMPLES, check_metadata=False)
    rows = get_task("syn_sentiment").load_split("validation", tiny_world)
    labels = [r["label"] for r in rows]
    for frame, (_, record) in zip(frames, runs, strict=True):
        assert frame["item_id"].tolist() == item_ids(get_task("syn_sentiment"), rows)
        assert from_examples(record["metric"], frame) == pytest.approx(record["value"], rel=1e-12)
        assert record["n_eval"] == len(frame) == len(labels)
        assert frame["example_id"].tolist() == list(range(len(labels)))
        assert frame["target"].tolist() == [float(y) for y in labels]  # same examples, same order
        assert (frame["score"] == (frame["prediction"] == frame["target"])).all()
    # Different seeds / compressions predict differently on the same examples.
    assert any((frames[0]["prediction"] != other["prediction"]).any() for other in frames[1:]), (
        "all runs predicted identically: the check for pairing would be vacuous"
    )


def test_every_run_records_the_majority_class_chance(runs, tiny_world):
    labels = [r["label"] for r in get_task("syn_sentiment").load_split("validation", tiny_world)]
    majority = Counter(labels).most_common(1)[0][1] / len(labels)
    assert 0.5 <= majority < 1
    for _, record in runs:
        assert record["chance"] == pytest.approx(majority)


def test_collect_gathers_examples_with_the_run_keys(runs, tmp_path):
    records = [str(folder / "metrics.json") for folder, _ in runs]
    table_path, examples_path = tmp_path / "results.parquet", tmp_path / "examples.parquet"
    assert (
        main(["collect", *records, "--out", str(table_path), "--examples-out", str(examples_path)])
        == 0
    )
    table = pq.read_table(examples_path)
    assert table.schema.equals(EXAMPLES_TABLE, check_metadata=False)
    frame = table.to_pandas()
    n = runs[0][1]["n_eval"]
    assert len(frame) == 3 * n
    by_run = frame.groupby(["compression", "mode", "seed"])
    assert sorted(by_run.groups) == [
        ("dense", "dense", 0),
        ("dense", "dense", 1),
        ("magnitude-0.5", "sparse", 0),
    ]
    for (compression, mode, seed), rows in by_run:
        [record] = [
            r
            for _, r in runs
            if (r["compression"], r["mode"], r["seed"]) == (compression, mode, seed)
        ]
        assert (rows["task"] == "syn_sentiment").all() and (
            rows["setting"] == "data_fraction"
        ).all()
        assert from_examples(record["metric"], rows) == pytest.approx(record["value"], rel=1e-12)
    results = pq.read_table(table_path).to_pandas()
    assert results["chance"].notna().all()


def test_collect_names_a_run_without_examples(runs, tmp_path, capsys):
    folder, record = runs[0]
    lonely = tmp_path / "lonely" / "metrics.json"
    write_json(lonely, record)
    examples = tmp_path / "e.parquet"
    code = main(
        [
            "collect",
            str(lonely),
            "--out",
            str(tmp_path / "r.parquet"),
            "--examples-out",
            str(examples),
        ]
    )
    assert code == 2
    assert f"{lonely}: run record has no examples.parquet beside it" in capsys.readouterr().err
    assert not examples.exists()
    torn = tmp_path / "torn" / "metrics.json"
    write_json(torn, record)
    (torn.parent / "examples.parquet").write_bytes(b"PAR1 not really")
    argv = ["collect", str(torn), "--out", str(tmp_path / "r.parquet"), "--examples-out"]
    assert main([*argv, str(examples)]) == 2
    assert f"{torn.parent / 'examples.parquet'}: not a readable examples table" in (
        capsys.readouterr().err
    )


@dataclass(frozen=True)
class ChrfCopyTask(CopyTask):
    """The copy task scored by corpus chrF (sacreBLEU), to check the generation path."""

    name: str = "tiny_chrf"
    metric: str = "chrf"

    def score(self, references, predictions):
        from sacrebleu.metrics import CHRF

        return {"chrf": CHRF().corpus_score(predictions, [[r[0] for r in references]]).score}


def test_generation_examples_carry_sacrebleu_statistics(tiny_mbart):  # noqa: F811
    task = ChrfCopyTask()
    adapter, model, tokenizer = load_for_task(tiny_mbart, task, 0)
    rows = GENERATION_ROWS + [{"source": "red cat", "target": "red cat one"}]
    result = adapter.evaluate(model, tokenizer, task, rows, 16, 4)
    frame = read_examples_from_columns(result["examples"])
    assert frame["stats"].map(len).gt(0).all() and frame["score"].isna().all()
    assert from_examples("chrf", frame) == pytest.approx(result["metrics"]["chrf"], rel=1e-12)


def read_examples_from_columns(columns):
    from pipeline.examples import examples_table

    return examples_table(columns).to_pandas()
