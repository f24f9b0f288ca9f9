"""Config overrides the Snakemake way: ``--config`` values and ``1e-4`` take the schema's
types, a config file without ``study:`` overlays the study in force, one with it replaces
it, and every mistake is one short line naming the key, the value and what is allowed.

The dry runs are real ``snakemake -n`` runs of the repository's Snakefile in a tmp folder;
the unit tests call pipeline/overrides.py as the Snakefile does."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.overrides import merge, study_config, validate
from pipeline.resolve import ConfigError
from tests.conftest import snakemake_dry_run

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PATH = REPO / "config.yaml"
DEFAULT = yaml.safe_load(DEFAULT_PATH.read_text())


def dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``snakemake -n all_figures`` of the default study, its results under ``tmp_path``."""
    return snakemake_dry_run(tmp_path, "all_figures", *args)


def planned(run: subprocess.CompletedProcess, rule: str) -> list[dict[str, str]]:
    """The wildcards of every planned job of ``rule`` in a dry run's output."""
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    jobs = re.findall(rf"^rule {rule}:\n(?:    .*\n)*?    wildcards: (.*)$", run.stdout, re.M)
    return [dict(pair.split("=", 1) for pair in job.split(", ")) for job in jobs]


def config_error(run: subprocess.CompletedProcess) -> str:
    """The message of a dry run that stopped on a config error (the line after its title)."""
    assert run.returncode != 0
    lines = (run.stdout + run.stderr).splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("ConfigError"))
    return lines[title + 1]


def _results(tmp_path: Path) -> str:
    return f"results_dir={tmp_path / 'results'}"


# --- dry runs ---------------------------------------------------------------------------


def test_config_seeds_list_plans_those_seeds_only(tmp_path):
    default = {
        job["seed"]
        for job in planned(dry_run(tmp_path, "--config", _results(tmp_path)), "finetune")
    }
    run = dry_run(tmp_path, "--config", "seeds=[0,1]", _results(tmp_path))
    jobs = planned(run, "finetune")
    assert default == {str(s) for s in DEFAULT["seeds"]}
    assert {job["seed"] for job in jobs} == {"0", "1"}
    assert not (tmp_path / "results").exists()


def test_config_nested_mapping_overlays_one_key(tmp_path):
    run = dry_run(tmp_path, "--config", "compression={sparsities: [0.5]}", _results(tmp_path))
    pruned = {
        job["compression"]
        for job in planned(run, "finetune")
        if job["compression"].startswith(("magnitude-", "random-"))
    }
    assert pruned == {"magnitude-0.5", "random-0.5"}
    # the other compression keys of the study stay: N:M patterns and bit widths still run
    levels = {job["compression"] for job in planned(run, "finetune")}
    assert {"magnitude_nm-2of4", "rtn-4bit"} <= levels


def test_partial_configfile_overlays_the_default_study(tmp_path):
    overlay = tmp_path / "quick.yaml"
    overlay.write_text(f"seeds: [0, 1]\nresults_dir: {tmp_path / 'results'}\n")
    jobs = planned(dry_run(tmp_path, "--configfile", str(overlay)), "finetune")
    assert {job["seed"] for job in jobs} == {"0", "1"}
    # every setting of the default study is still planned
    tasks = {job["task"] for job in jobs}
    assert {"syn_grammar", "syn_translation", "syn_factcheck", "syn_xfactcheck"} <= tasks


def test_whole_study_configfile_replaces_and_config_goes_on_top(tmp_path):
    study = copy.deepcopy(DEFAULT)
    study["study"] = "alone"
    del study["settings"]["languages"], study["settings"]["book"]
    study["results_dir"] = str(tmp_path / "results")
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    run = dry_run(tmp_path, "--configfile", str(path), "--config", "seeds=[0,3]")
    # (results_dir comes from the study file: a second --config would replace the first)
    jobs = planned(run, "finetune")
    assert {job["seed"] for job in jobs} == {"0", "3"}
    assert "syn_translation" not in {job["task"] for job in jobs}


def test_lr_in_e_notation_reads_as_a_number_and_reaches_the_jobs(tmp_path):
    overlay = tmp_path / "lr.yaml"
    overlay.write_text("protocol: {lr: 3e-4}\nsettings: {languages: {protocol: {lr: 2e-3}}}\n")
    given = {
        "--config": ["--config", "protocol={lr: 3e-4}", _results(tmp_path)],
        "--configfile": ["--configfile", str(overlay), "--config", _results(tmp_path)],
    }
    for how, args in given.items():
        run = dry_run(tmp_path, "--printshellcmds", *args)  # one --config: a second replaces it
        assert planned(run, "finetune"), how
        assert '"lr": 0.0003' in run.stdout, how  # the fine-tuning jobs' --protocol
        assert '"lr": 0.0001' not in run.stdout, how  # config.yaml's value is gone
        if how == "--configfile":
            assert '"lr": 0.002' in run.stdout  # setting 2's own protocol


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--config", "bogus=1"],
            "config key 'bogus' is not a known key; allowed: analysis, checkpoint_minutes,",
        ),
        (["--config", "seeds=[0, one]"], "config key 'seeds[1]': 'one' is not an integer"),
        (
            ["--config", "protocol={lr: fast}"],
            "config key 'protocol.lr': 'fast' is not a number",
        ),
        (
            ["--config", "compression={sparsities: [0.5, 1.5]}"],
            "config key 'compression.sparsities[1]': 1.5 is out of range; allowed: < 1",
        ),
        (
            ["--config", "modes=[dense, sparsy]"],
            "config key 'modes[1]': 'sparsy' is not allowed; allowed: 'dense',",
        ),
    ],
    ids=["unknown key", "wrong item type", "wrong type", "out of range", "not a choice"],
)
def test_config_mistake_is_one_short_line(tmp_path, args, expected):
    run = dry_run(tmp_path, *args)
    message = config_error(run)
    assert message.startswith(expected), message
    assert len(message) < 300
    assert "$schema" not in run.stdout + run.stderr  # no schema dump
    assert len((run.stdout + run.stderr).splitlines()) < 15


def test_overlay_typo_names_its_key(tmp_path):
    overlay = tmp_path / "typo.yaml"
    overlay.write_text("seed: [0, 1]\n")
    message = config_error(dry_run(tmp_path, "--configfile", str(overlay)))
    assert message.startswith("config key 'seed' is not a known key; allowed:"), message


# --- the coercion and the merge ---------------------------------------------------------


def _validated(**overlay) -> dict:
    config = merge(DEFAULT, overlay)
    validate(config)
    return config


def test_strings_take_the_schema_types():
    config = _validated(
        seeds=["0", "1"],
        compression={"sparsities": ["0.5", "1e-1"], "bits": ["8"], "nm_patterns": ["2:4"]},
        protocol={"lr": "1e-4", "tf32": "true", "dropout": "null", "steps": "200"},
        checkpoint_minutes="7.5",
    )
    assert config["seeds"] == [0, 1]
    assert config["compression"]["sparsities"] == [0.5, 0.1]
    assert config["compression"]["bits"] == [8]
    assert config["compression"]["nm_patterns"] == ["2:4"]  # a string stays a string
    protocol = config["protocol"]
    assert protocol["lr"] == 1e-4 and isinstance(protocol["lr"], float)
    assert protocol["tf32"] is True and protocol["dropout"] is None
    assert protocol["steps"] == 200 and isinstance(protocol["steps"], int)
    assert config["checkpoint_minutes"] == 7.5


def test_a_number_where_the_schema_wants_text_becomes_text():
    assert _validated(study=2026)["study"] == "2026"


def test_an_integer_field_refuses_a_fraction():
    with pytest.raises(ConfigError, match=r"^config key 'seeds\[0\]': '0.5' is not an integer"):
        _validated(seeds=["0.5"])


def test_defaults_are_filled_in():
    config = _validated()
    assert config["stage_on"] == "login_node"
    assert config["checkpoint_minutes"] == 20
    assert config["compression"]["prunable"] == "backbone"


def test_merge_merges_mappings_and_replaces_lists():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": [1]}
    merged = merge(base, {"a": {"c": [3]}, "d": [4, 5]})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": [4, 5]}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": [1]}  # the base is left alone


def test_files_apply_in_order_a_study_replacing_what_came_before(tmp_path):
    first = tmp_path / "first.yaml"
    first.write_text("seeds: [7, 8, 9]\nanalysis: {min_seeds: 3}\n")
    study = {**copy.deepcopy(DEFAULT), "study": "other", "seeds": [0, 1, 2]}
    del study["analysis"]
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump(study))
    config = study_config(DEFAULT_PATH, [first, second], {"protocol": {"steps": "50"}})
    assert config["study"] == "other" and config["seeds"] == [0, 1, 2]
    assert "analysis" not in config  # the overlay before the whole study is gone
    assert config["protocol"]["steps"] == 50 and config["protocol"]["lr"] == 1e-4
    config = study_config(DEFAULT_PATH, [second, first], {})
    assert config["seeds"] == [7, 8, 9] and config["analysis"]["min_seeds"] == 3


def test_both_run_lengths_named_plainly():
    with pytest.raises(ConfigError) as err:
        _validated(protocol={"epochs": "3"})
    assert str(err.value) == (
        "config key 'protocol' sets epochs and steps; allowed: exactly one of epochs, steps"
    )


def test_several_mistakes_name_the_others_briefly():
    with pytest.raises(ConfigError) as err:
        _validated(seeds=["x"], bogus=1, protocol={"lr": -1})
    message = str(err.value)
    assert "\n" not in message and len(message) < 400
    for key in ("'seeds[0]'", "'bogus'", "'protocol.lr'"):
        assert key in message


# --- the quick look ---------------------------------------------------------------------

QUICK = REPO / "configs" / "quick.yaml"


def test_quick_look_is_an_overlay_planning_every_figure_of_the_default_study(tmp_path):
    from pipeline import targets
    from pipeline.config import check_config
    from pipeline.study import Study

    assert "study" not in yaml.safe_load(QUICK.read_text())  # it overlays config.yaml
    results = tmp_path / "results"
    config = study_config(DEFAULT_PATH, [QUICK], {"results_dir": str(results)})
    check_config(config)
    assert config["analysis"]["quick_look"] is True  # its verdict says it decides nothing
    assert set(config["settings"]) == set(DEFAULT["settings"])
    figures = targets.figure_targets(Study.from_config(config))
    default = targets.figure_targets(Study.from_config(DEFAULT))
    assert [Path(f).relative_to(results) for f in figures] == [
        Path(f).relative_to(DEFAULT["results_dir"]) for f in default
    ]
    run = dry_run(tmp_path, "--configfile", str(QUICK), "--config", _results(tmp_path))
    jobs = planned(run, "finetune")
    assert {job["seed"] for job in jobs} == {str(s) for s in config["seeds"]}
    for figure in figures:
        assert figure in run.stdout, figure
    assert f"{results}/verdict.md" in run.stdout


def test_make_quick_runs_the_quick_config():
    recipe = (REPO / "Makefile").read_text().split("\nquick:")[1].split("\n\n")[0]
    assert "all_figures --configfile configs/quick.yaml" in recipe


@pytest.mark.parametrize("quick_look", [True, False])
def test_a_quick_look_verdict_says_it_is_too_small_to_decide(quick_look):
    from pipeline.analysis.options import Analysis
    from pipeline.analysis.verdict import markdown, verdict
    from tests.test_analysis import drop_harder_faster, table

    analysis = Analysis.from_dict({"bootstrap_resamples": 200, "quick_look": quick_look})
    text = markdown(verdict(table(drop_harder_faster), analysis, "quick"))
    head = text.split("\n- ")[0]  # before the claims
    assert ("too small to decide" in head) is quick_look
