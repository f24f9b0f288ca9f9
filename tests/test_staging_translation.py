"""Setting 2 on staged OPUS-100 stand-ins and a stand-in mBART-cc25: en<->X pairs in both
directions, the pivot join refused with its counts, mBART language codes on source,
target and the decoder start, and the protocol's label smoothing and dropout."""

from __future__ import annotations

import pytest

from pipeline.tasks.registry import get_task

GROUPS = {"majority": ["ru", "vi"], "minority": ["gu", "my"]}


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """(staged data folder, stand-in mBART folder), built and staged offline."""
    from pipeline.catalog import task_datasets
    from pipeline.data.stage import stage_dataset
    from pipeline.data.staged import dataset_name
    from pipeline.data.standins import build_datasets, corpus_texts
    from pipeline.staging.standins import build_mbart
    from pipeline.tasks.glue import GLUE_TASKS

    root = tmp_path_factory.mktemp("opus")
    build_datasets(root / "mirror", GLUE_TASKS)
    data = root / "data"
    block = {"pivot": "en", "groups": GROUPS, "regimes": ["few_shot"]}
    for entry in task_datasets(get_task("opus100"), block):
        out = data / dataset_name(entry["hub_id"], entry["config"])
        out.mkdir(parents=True)
        stage_dataset({**entry, "revision": "UNPINNED", "hub_mirror": str(root / "mirror")}, out)
    mbart = root / "mbart"
    build_mbart(mbart, [t for texts in corpus_texts().values() for t in texts])
    return data, mbart


def test_pairs_are_en_x_in_both_directions(staged):
    data, _ = staged
    for group, languages in GROUPS.items():
        task = get_task("opus100").configure(f"lang-{group}", {"pivot": "en", "groups": GROUPS})
        rows = task.load_split("validation", data)
        assert len(rows) == 2 * 16 * len(languages)
        assert {(r["src"], r["tgt"]) for r in rows} == {
            p for x in languages for p in (("en", x), (x, "en"))
        }
        assert all(task.source_target(r)[1] == task.references(r)[0] != "" for r in rows)
    one_way = get_task("opus100").configure(
        "lang-minority", {"pivot": "en", "groups": GROUPS, "directions": ["to_pivot"]}
    )
    assert {r["tgt"] for r in one_way.load_split("train", data)} == {"en"}


def test_pivot_join_of_independent_samples_fails_with_counts(staged):
    data, _ = staged
    task = get_task("opus100").configure(
        "lang-majority", {"pivot": "en", "groups": GROUPS, "pairing": "pivot_join"}
    )
    with pytest.raises(ValueError, match=r"en-ru \(32 train rows\).*en-vi \(32 rows\) shares 0"):
        task.load_split("train", data)


def test_mbart_codes_on_source_target_and_decoder_start(staged):
    from pipeline.finetune.adapters.base import load_tokenizer
    from pipeline.finetune.adapters.seq2seq import Seq2SeqGeneration

    data, mbart = staged
    task = get_task("opus100").configure("lang-minority", {"pivot": "en", "groups": GROUPS})
    rows = task.load_split("validation", data)[:4]  # en->gu, gu->en, en->gu, gu->en
    tokenizer = load_tokenizer(str(mbart))
    code = tokenizer.lang_code_to_id
    adapter = Seq2SeqGeneration()
    examples = adapter.encode(tokenizer, task, rows, 64)
    for row, example in zip(rows, examples, strict=True):
        src, tgt = (
            {"en": "en_XX", "gu": "gu_IN"}[row["src"]],
            {"en": "en_XX", "gu": "gu_IN"}[row["tgt"]],
        )
        assert example["input_ids"][-2:] == [tokenizer.eos_token_id, code[src]]
        assert example["labels"][-2:] == [tokenizer.eos_token_id, code[tgt]]
    prompts = adapter.prompt_batch(tokenizer, task, rows, 64)
    assert prompts["decoder_input_ids"][:, 0].tolist() == [
        code["gu_IN"],
        code["en_XX"],
        code["gu_IN"],
        code["en_XX"],
    ]
    assert task.generate_kwargs(tokenizer)["num_beams"] == 5


def test_label_smoothing_and_dropout_reach_the_model(staged):
    import torch
    from transformers import AutoConfig

    from pipeline.finetune.adapters.base import load_tokenizer
    from pipeline.finetune.adapters.generation import dropout_override
    from pipeline.finetune.adapters.seq2seq import Seq2SeqGeneration

    data, mbart = staged
    task = get_task("opus100").configure("lang-majority", {"pivot": "en", "groups": GROUPS})
    rows = task.load_split("train", data)[:4]
    tokenizer = load_tokenizer(str(mbart))
    adapter = Seq2SeqGeneration()
    overrides = dropout_override(AutoConfig.from_pretrained(str(mbart)), 0.3)
    assert overrides == {"dropout": 0.3}
    model = adapter.load(str(mbart), task, tokenizer, **overrides)
    assert model.config.dropout == 0.3 and model.model.encoder.dropout == 0.3
    model.eval()
    batch = adapter.collate(tokenizer, adapter.encode(tokenizer, task, rows, 64))
    with torch.no_grad():
        out = model(**batch)
    plain = adapter.smoothed_loss(out, batch, 0.0)
    assert plain.item() == pytest.approx(out.loss.item(), rel=1e-5)
    assert adapter.smoothed_loss(out, batch, 0.2).item() != pytest.approx(plain.item())
