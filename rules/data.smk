# Stage 0: the hub models and data sets of a study, staged once where the internet is (the
# login node, or `stage_on: cluster` for a partition with internet: the profile's
# set-resources). Every other job reads only staged files, offline: the prefix below puts
# HF_HUB_OFFLINE=1 (and the datasets/transformers switches) in front of every shell command,
# and only these two rules turn it off. With `hub_mirror:` they read local folders instead.
import json

from pipeline.config import model_spec
from pipeline.catalog import (
    calibration_data_dir,
    model_names,
    names_pattern,
    study_datasets,
    task_data_dirs,
)
from pipeline.data.offline import OFFLINE_PREFIX, ONLINE_PREFIX

DATASETS = study_datasets(config)

shell.prefix(OFFLINE_PREFIX)


if config.get("stage_on", "login_node") == "login_node":

    localrules:
        stage_data,
        stage_hub_model,


rule stage_data:
    """One hub data set (a GLUE config, an OPUS-100 pair, ...) as Parquet, its own schema."""
    output:
        directory(f"{R}/data/{{dataset}}"),
    wildcard_constraints:
        dataset=names_pattern(list(DATASETS)),
    params:
        spec=lambda wc: json.dumps(DATASETS[wc.dataset]),
    log:
        f"{R}/logs/stage_data/{{dataset}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        f"{ONLINE_PREFIX}python -m pipeline stage-data --spec {{params.spec:q}} "
        "--out {output} > {log} 2>&1"


rule stage_hub_model:
    """A hub model's pinned revision: safetensors, else .bin shards, and its tokenizer."""
    output:
        directory(f"{R}/{paths.MODEL}"),
    wildcard_constraints:
        model=model_names(config, hub=True),
    params:
        spec=lambda wc: json.dumps(
            {**model_spec(config, wc.model), "name": wc.model, "hub_mirror": config.get("hub_mirror")}
        ),
    log:
        f"{R}/logs/stage_model/{{model}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        f"{ONLINE_PREFIX}python -m pipeline stage-model --spec {{params.spec:q}} "
        "--out {output} > {log} 2>&1"
