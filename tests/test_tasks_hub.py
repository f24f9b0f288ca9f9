"""Every hub data set's loading code on tiny fixtures in its real schema, made on the fly.

A fixture is a local folder laid out like the hub repository (parquet files plus the
README's ``configs:`` block that maps config and split to files), served as a
``hub_mirror``: staging runs its real ``datasets.load_dataset`` call on it and writes the
staged Parquet, which ``load_split`` then reads. No network: HF_HUB_OFFLINE=1.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.finetune.adapters import adapter_for
from pipeline.tasks.arithmetic import answer_correct, evaluate_equation
from pipeline.tasks.registry import get_task


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def glue(config: str, columns: dict, splits=("train", "validation")) -> dict:
    return {"config": config, "splits": dict.fromkeys(splits, columns)}


# Real column layouts (types included) of the hub data sets; two rows per split.
CHOICES = pa.struct([("label", pa.list_(pa.string())), ("text", pa.list_(pa.string()))])
FIXTURES = {
    "cola": glue("cola", {"sentence": ["a b .", "b a"], "label": [1, 0], "idx": [0, 1]}),
    "qqp": glue(
        "qqp",
        {
            "question1": ["q a?", "q b?"],
            "question2": ["q c?", "q b?"],
            "label": [0, 1],
            "idx": [0, 1],
        },
    ),
    "stsb": glue(
        "stsb",
        {
            "sentence1": ["x y", "y z"],
            "sentence2": ["x y", "z"],
            "label": pa.array([5.0, 1.2], pa.float32()),
            "idx": [0, 1],
        },
    ),
    "rte": glue(
        "rte",
        {
            "sentence1": ["p one", "p two"],
            "sentence2": ["h one", "h two"],
            "label": [0, 1],
            "idx": [0, 1],
        },
    ),
    "sst2": glue("sst2", {"sentence": ["good", "bad"], "label": [1, 0], "idx": [0, 1]}),
    "qnli": glue(
        "qnli",
        {"question": ["q?", "r?"], "sentence": ["s.", "t."], "label": [0, 1], "idx": [0, 1]},
    ),
    "mnli": glue(
        "mnli",
        {"premise": ["p", "q"], "hypothesis": ["h", "i"], "label": [0, 2], "idx": [0, 1]},
        splits=("train", "validation_matched"),
    ),
    "winogrande": {
        "config": "winogrande_xl",
        "splits": dict.fromkeys(
            ("train", "validation"),
            {
                "sentence": [
                    "Ann gave Bo a gift because _ was kind.",
                    "The cup fit in the box because the _ was small.",
                ],
                "option1": ["Ann", "cup"],
                "option2": ["Bo", "box"],
                "answer": ["1", "1"],
            },
        ),
    },
    "csqa": {
        "config": None,
        "splits": dict.fromkeys(
            ("train", "validation"),
            {
                "id": ["a1", "a2"],
                "question": ["Where is a fish?", "What is hot?"],
                "question_concept": ["fish", "hot"],
                "choices": pa.array(
                    [
                        {"label": list("ABCDE"), "text": ["sea", "sky", "car", "tree", "road"]},
                        {"label": list("ABCDE"), "text": ["ice", "snow", "sun", "rain", "fog"]},
                    ],
                    CHOICES,
                ),
                "answerKey": ["A", "C"],
            },
        ),
    },
    "svamp": {
        "config": None,
        "splits": dict.fromkeys(
            ("train", "test"),
            {
                "ID": ["chal-1", "chal-2"],
                "Body": ["Jack had 8 pens and gave away 3.", "There are 4 boxes of 2.5 kg."],
                "Question": ["How many pens does Jack have now?", "How heavy are they?"],
                "Equation": ["( 8.0 - 3.0 )", "( 4.0 * 2.5 )"],
                "Answer": [5.0, 10.0],
                "Type": ["Subtraction", "Multiplication"],
            },
        ),
    },
    "mawps": {
        "config": None,
        "splits": dict.fromkeys(
            ("train", "validation", "test"),
            {
                "id": ["mawps_1", "mawps_2"],
                "question": [
                    "Sam has 9 apples and eats 2. How many are left?",
                    "6 kids share 18 sweets. How many each?",
                ],
                "chain": ["<gadget>9-2</gadget><output>7</output>", "<gadget>18/6</gadget>"],
                "result": ["7", "3"],
                "result_float": [7.0, 3.0],
                "equation": ["x=9-2", "x=18/6"],
            },
        ),
    },
}


def hub_folder(root: Path, task: str) -> Path:
    """A ``hub_mirror`` holding the task's repository as the hub lays it out (Parquet files
    per config and split + the README ``configs:`` block)."""
    spec = FIXTURES[task]
    folder = root / "mirror" / get_task(task).hub_path
    config = spec["config"] or "default"
    data_files = []
    for split, columns in spec["splits"].items():
        path = folder / config / f"{split}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), path)
        data_files.append({"split": split, "path": f"{config}/{split}-*"})
    card = {"configs": [{"config_name": config, "data_files": data_files}]}
    (folder / "README.md").write_text(f"---\n{yaml.safe_dump(card)}---\n")
    return root / "mirror"


def local(task_name: str, root: Path):
    """(task, staged data folder): the task's data staged from its mirror, as the
    stage_data rule does it; the task then reads only the staged Parquet."""
    from pipeline.catalog import task_datasets
    from pipeline.data.stage import stage_dataset
    from pipeline.data.staged import dataset_name

    task = get_task(task_name)
    mirror = hub_folder(root, task_name)
    data_dir = root / "data"
    for entry in task_datasets(task, {"regimes": ["few_shot"]}):
        out = data_dir / dataset_name(entry["hub_id"], entry["config"])
        out.mkdir(parents=True)
        stage_dataset({**entry, "revision": "UNPINNED", "hub_mirror": str(mirror)}, out)
    return task, data_dir


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_hub_task_loads_both_splits(name, tmp_path):
    task, data = local(name, tmp_path)
    assert task.source == "hub"
    spec = FIXTURES[name]["splits"]
    validation = [s for s in spec if s != "train"][0 if name != "mawps" else -1]
    for split, expected in (("train", "train"), ("validation", validation)):
        rows = task.load_split(split, data)
        first = {k: v[0] for k, v in spec[expected].items() if not isinstance(v, pa.Array)}
        assert len(rows) == 2
        assert {k: rows[0][k] for k in first} == pytest.approx(first)


def test_glue_rows_become_model_inputs(tmp_path):
    (stsb, data), (cola, _) = local("stsb", tmp_path / "s"), local("cola", tmp_path / "c")
    assert stsb.kind == "regression" and cola.kind == "classification"
    row = stsb.load_split("validation", data)[1]
    assert [row[f] for f in stsb.text_fields] == ["y z", "z"]
    assert row["label"] == pytest.approx(1.2)


def test_multiple_choice_rows(tmp_path):
    task, data = local("winogrande", tmp_path / "w")
    wino = task.load_split("train", data)[0]
    assert get_task("winogrande").choices(wino) == (
        "Ann gave Bo a gift because",
        ["Ann was kind.", "Bo was kind."],
        0,
    )
    task, data = local("csqa", tmp_path / "c")
    csqa = task.load_split("validation", data)[1]
    context, endings, label = get_task("csqa").choices(csqa)
    assert (context, endings[label]) == ("What is hot?", "sun")


def test_arithmetic_rows_and_answers(tmp_path):
    for name, row_index, problem_start, equation in (
        ("svamp", 1, "There are 4 boxes", "( 4.0 * 2.5 )"),
        ("mawps", 0, "Sam has 9 apples", "9-2"),
    ):
        task, data = local(name, tmp_path / name)
        rows = task.load_split("validation", data)
        source, target = task.source_target(rows[row_index])
        assert source.startswith(problem_start) and target == equation
        refs = [task.references(r) for r in rows]
        gold = [task.source_target(r)[1] for r in rows]
        assert task.score(refs, gold) == {"answer_accuracy": 1.0}
        assert task.score(refs, ["", "2 +"]) == {"answer_accuracy": 0.0}


@pytest.mark.parametrize(
    ("text", "value"),
    [("( 8.0 - 3.0 )", 5.0), ("x = 18 / 6", 3.0), ("-2 + 3 * 4", 10.0), ("1.5*(2+2)", 6.0)],
)
def test_equations_evaluate(text, value):
    assert evaluate_equation(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "2 ** 8",
        "1 / 0",
        "a + 1",
        "(1 + 2",
        "[1][0]",
        "1e999 - 1e999",
    ],
)
def test_anything_else_is_refused_and_scores_zero(text):
    with pytest.raises(ValueError, match="equation"):
        evaluate_equation(text)
    assert answer_correct(text, 1.0) == 0.0


def test_multiple_choice_adapter_trains_and_evaluates(tiny_roberta, tmp_path):
    """The multiple-choice head on a real (tiny) RoBERTa: batches of shape (rows, choices,
    length), a loss that falls on repeated steps, accuracy from the argmax over choices."""
    import torch
    from transformers import AutoConfig

    from pipeline.finetune.adapters.base import load_tokenizer

    task, data = local("csqa", tmp_path)
    adapter = adapter_for(task, AutoConfig.from_pretrained(tiny_roberta))
    assert adapter.name == "multiple_choice"
    tokenizer = load_tokenizer(str(tiny_roberta))
    torch.manual_seed(0)
    model = adapter.load(str(tiny_roberta), task, tokenizer)
    rows = task.load_split("train", data)
    batch = adapter.collate(tokenizer, adapter.encode(tokenizer, task, rows, 32))
    assert batch["input_ids"].shape[:2] == (2, 5) and batch["labels"].tolist() == [0, 2]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(8):
        loss = model(**batch).loss
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert losses[-1] < losses[0]
    result = adapter.evaluate(model, tokenizer, task, rows, 32, len(rows))  # the batch below
    assert result["n_eval"] == 2 and 0.0 <= result["metrics"]["accuracy"] <= 1.0
    model.eval()
    with torch.no_grad():
        out = model(**batch)
    expected = (out.logits.argmax(-1) == batch["labels"]).float().mean().item()
    assert result["metrics"]["accuracy"] == pytest.approx(expected)
    assert result["loss"] == pytest.approx(out.loss.item(), rel=1e-4)
