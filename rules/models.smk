# Stage 1: the synthetic world and the staged (pre-trained / scratch / hub) models.
import json

from pipeline.config import model_spec
from pipeline.catalog import model_names, names_pattern
from pipeline.models.continued import continued_models
from pipeline.models.continued import data_dirs as continued_data_dirs


rule make_world:
    output:
        directory(f"{R}/{paths.WORLD}"),
    params:
        world=json.dumps(config.get("world", {})),
    log:
        f"{R}/logs/make_world.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline make-world --params {params.world:q} --out {output} > {log} 2>&1"


rule stage_model:
    """Synthetic pre-training, scratch controls and implants; hub models: stage_hub_model."""
    input:
        world=world_input,
        base=implant_base,
    output:
        directory(f"{R}/{paths.MODEL}"),
    wildcard_constraints:
        model=model_names(config, hub=False),
    params:
        spec=lambda wc: json.dumps(model_spec(config, wc.model)),
        world=lambda wc, input: f"--world {input.world}" if input.world else "",
        base=lambda wc, input: f"--base {input.base}" if input.base else "",
    threads: 1  # tiny models gain little from a second thread; two stage in parallel
    priority: stage_priority
    log:
        f"{R}/logs/stage_model/{{model}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline stage-model --spec {params.spec:q} {params.world} {params.base} "
        "--out {output} --threads {threads} > {log} 2>&1"


rule continue_train:
    """A staged model trained further on language pairs before pruning (setting 2's mBART:
    pipeline/models/continued.py); its folder is read like any staged model."""
    input:
        model=lambda wc: f"{R}/{paths.MODEL}".format(model=config["models"][wc.model]["of"]),
        data=lambda wc: continued_data_dirs(config, wc.model),
        preflight=preflight_input,
    output:
        directory(f"{R}/{paths.MODEL}"),
    wildcard_constraints:
        model=names_pattern(continued_models(config)),
    params:
        recipe=lambda wc: json.dumps(config["models"][wc.model].get("continued_training", {})),
        of=lambda wc: config["models"][wc.model]["of"],
        data=f"{R}/data",  # the staged data folder (its pairs are the inputs above)
        device=job_device,
    threads: 2
    log:
        f"{R}/logs/continue_train/{{model}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline continue-train --model {input.model} --of {params.of} "
        "--name {wildcards.model} --recipe {params.recipe:q} --data {params.data} "
        "--device {params.device} --threads {threads} --out {output} > {log} 2>&1"
