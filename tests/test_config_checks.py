"""Every config mistake the dry run must reject before any job, each naming its key.

Most cases run the two checks the Snakefile runs (the JSON schema through
pipeline.overrides.validate, then pipeline.config.check_config) in-process; two go through a
real ``snakemake -n`` to show the wiring.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import resolve
from pipeline.resolve import ConfigError
from tests.conftest import default, dry_check

REPO = Path(__file__).resolve().parents[1]
DEFAULT = default()


def _set(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[last] = value


def lmc_cell(**change) -> list[dict]:
    """The default config's first LMC cell, with one field changed."""
    return [{**DEFAULT["lmc"]["cells"][0], **change}]


# A world that builds one setting-4 task only, one that setting 1 does not run.
SETTING_1_TASK = DEFAULT["settings"]["data_fraction"]["tasks"][0]
OTHER_TASK = next(t for t in DEFAULT["settings"]["across_tasks"]["tasks"] if t != SETTING_1_TASK)


# (case, {dotted key: new value}, the key the message must name)
CASES = [
    ("duplicate seeds", {"seeds": [0, 0]}, "seeds"),
    ("duplicate sparsities", {"compression.sparsities": [0.5, 0.5]}, "compression.sparsities"),
    (
        "duplicate fractions",
        {"settings.data_fraction.fractions": [1.0, 1.0]},
        "settings.data_fraction.fractions",
    ),
    (
        "duplicate tasks",
        {"settings.across_tasks.tasks": ["syn_grammar", "syn_grammar"]},
        "settings.across_tasks.tasks",
    ),
    ("study lr -1", {"protocol.lr": -1}, "protocol.lr"),
    ("setting lr -1", {"settings.languages.protocol.lr": -1}, "settings.languages.protocol.lr"),
    ("setting lr many", {"settings.book.protocol.lr": "many"}, "settings.book.protocol.lr"),
    (
        "setting lr 0",
        {"settings.across_tasks.protocol": {"lr": 0}},
        "settings.across_tasks.protocol.lr",
    ),
    (
        "setting weight_decay -0.1",
        {"settings.book.protocol.weight_decay": -0.1},
        "settings.book.protocol.weight_decay",
    ),
    (
        "setting max_grad_norm -1",
        {"settings.book.protocol.max_grad_norm": -1},
        "settings.book.protocol.max_grad_norm",
    ),
    (
        "setting protocol typo",
        {"settings.book.protocol.l_r": 1e-3},
        "settings.book.protocol.l_r",
    ),
    ("lmc rtn cell", {"lmc.cells": lmc_cell(method="rtn")}, "lmc.cells[0].method"),
    ("lmc nm cell", {"lmc.cells": lmc_cell(method="magnitude_nm")}, "lmc.cells[0].method"),
    (
        "lmc random at a sparsity the study does not run",
        {"lmc.cells": lmc_cell(method="random", sparsity=0.6)},
        "lmc.cells[0].sparsity",
    ),
    ("lmc seed not run", {"lmc.cells": lmc_cell(seed=5)}, "lmc.cells[0].seed"),
    (
        "lmc setting without the sparse mode",
        {"settings.data_fraction.modes": ["dense", "sparse_to_dense"]},
        "lmc.cells[0].setting",
    ),
    (
        "a synthetic model without its pre-training",
        {"models.x": {"source": "synthetic", "arch": "roberta", "size": {}}},
        "models.x.pretrain",
    ),
    ("a hub model without its hub id", {"models.h": {"source": "hub"}}, "models.h.hub_id"),
    (
        "an unknown task",
        {"settings.across_tasks.tasks": ["syn_grammar", "syn_bogus"]},
        "settings.across_tasks.tasks[1]",
    ),
    ("an unknown task of a one-task setting", {"settings.book.task": "qa"}, "settings.book.task"),
    (
        "unknown world task",
        {"world.tasks.syn_bogus": {"train": 10, "validation": 10, "noise": 0.1}},
        "world.tasks.syn_bogus",
    ),
    (
        "a setting's task the world does not build",
        {"world.tasks": {OTHER_TASK: {"train": 10, "validation": 10, "noise": 0.1}}},
        "settings.data_fraction.tasks[0]",
    ),
    (
        "a language the world lacks",
        {"settings.languages.groups.minority": ["min_d", "min_z"]},
        "settings.languages.groups.minority[1]",
    ),
    (
        "claims in a language the world lacks",
        {
            "world.tasks": {
                "syn_grammar": {"train": 10, "validation": 10, "noise": 0.1},
                "syn_factcheck": {"train": 10, "validation": 10, "noise": 0.1},
                "syn_xfactcheck": {
                    "train": 10,
                    "validation": 10,
                    "noise": 0.1,
                    "language": "maj_q",
                },
            }
        },
        "world.tasks.syn_xfactcheck.language",
    ),
    ("a pivot the world lacks", {"settings.languages.pivot": "maj_q"}, "settings.languages.pivot"),
    (
        "a world language that is not its pivot",
        {"settings.languages.pivot": "maj_b"},
        "settings.languages.pivot",
    ),
    ("empty results_dir", {"results_dir": ""}, "results_dir"),
    ("min_seeds above the seeds", {"analysis.min_seeds": 6}, "analysis.min_seeds"),
    (
        "misspelt size key",
        {"models.tiny_roberta.size.hiden_size": 32},
        "models.tiny_roberta.size.hiden_size",
    ),
    (
        "a size key stage-model sets itself",
        {"models.tiny_roberta.size.vocab_size": 100},
        "models.tiny_roberta.size.vocab_size",
    ),
    (
        "heads that do not divide the hidden size",
        {"models.tiny_roberta.size.num_attention_heads": 5},
        "models.tiny_roberta.size.num_attention_heads",
    ),
    (
        "decoder heads that do not divide d_model",
        {"models.tiny_mbart.size.decoder_attention_heads": 3},
        "models.tiny_mbart.size.decoder_attention_heads",
    ),
    (
        "key/value heads that do not divide the heads",
        {"models.tiny_llama.size.num_key_value_heads": 3},
        "models.tiny_llama.size.num_key_value_heads",
    ),
]


def _names(message: str, dotted: str) -> bool:
    """Both checks name a key as 'a.b[0]', in one short line."""
    return f"config key '{dotted}'" in message and "\n" not in message and len(message) < 1000


@pytest.mark.parametrize(("case", "change", "key"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_rejected_naming_its_key(case, change, key):
    config = copy.deepcopy(DEFAULT)
    for dotted, value in change.items():
        _set(config, dotted, value)
    with pytest.raises(ConfigError) as err:
        dry_check(config)
    assert _names(str(err.value), key), f"{case}: {key!r} not named in:\n{err.value}"


@pytest.mark.parametrize("path", ["config.yaml", "configs/paper.yaml"])
def test_shipped_configs_pass(path):
    dry_check(yaml.safe_load((REPO / path).read_text()))


def test_min_seeds_default_above_the_seeds_is_allowed():
    """A one-seed smoke study is legitimate: its verdict says "too few seeds" itself."""
    config = copy.deepcopy(DEFAULT)
    config["seeds"] = [0]
    config.pop("analysis")
    config["lmc"]["cells"] = lmc_cell()
    dry_check(config)


def test_setting_override_keeps_the_study_values_it_does_not_name():
    """The one protocol schema has no defaults, so an override changes only its own keys."""
    config = copy.deepcopy(DEFAULT)
    config["protocol"]["weight_decay"] = 0.1
    config["settings"]["book"]["protocol"] = {"max_length": 64}
    dry_check(config)
    protocol = resolve.protocol_for(config, "book")
    assert protocol["weight_decay"] == 0.1 and protocol["max_length"] == 64
    assert protocol["eval_batch_size"] == 256  # a default the study did not set


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"seeds": [1, 1]}, "config key 'seeds': [1, 1] repeats an item"),
        (
            {"models.tiny_roberta.size.num_attention_heads": 5},
            "models.tiny_roberta.size.num_attention_heads",
        ),
    ],
)
def test_snakemake_dry_run_fails_before_any_job(tmp_path, change, named):
    config = copy.deepcopy(DEFAULT)
    config["results_dir"] = str(tmp_path / "results")
    for dotted, value in change.items():
        _set(config, dotted, value)
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["snakemake", "-n", "all_figures", "--configfile", str(config_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode != 0
    assert named in run.stdout + run.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("arch", ["roberta", "mbart", "llama"])
def test_size_keys_read_from_source_match_the_config_class(arch):
    """The DAG build reads the config class's fields from transformers' source (importing
    it imports torch); they must be the fields of the class itself."""
    import dataclasses

    import transformers

    from pipeline.config import config_class_fields
    from pipeline.models.architectures import ARCHITECTURES

    config_class = getattr(transformers, ARCHITECTURES[arch].config_class)
    fields, attribute_map = config_class_fields(arch)
    assert set(fields) == {f.name for f in dataclasses.fields(config_class)}
    assert attribute_map == config_class.attribute_map
    defaults = config_class()
    for name in ("hidden_size", "num_attention_heads", "d_model", "decoder_attention_heads"):
        if name in fields:
            assert fields[name] == getattr(defaults, name), name
