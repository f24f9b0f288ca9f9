# Stage 3: fine-tune and evaluate each cell; one protocol for every mode of a cell.
# Checkpoints go to the run folder's checkpoint/ (the verb's default, next to metrics.json).
# It is deliberately not a declared output: Snakemake deletes the outputs of a failed job but
# keeps that folder, so rerunning the job resumes from it; the verb removes it on success.
import json
from pathlib import Path

from pipeline.finetune import retain


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        metrics=f"{R}/{paths.METRICS}",
        examples=f"{R}/{paths.EXAMPLES}",
        model=temp(directory(f"{R}/{paths.FINETUNED}")),
    params:
        setting=lambda wc: setting_of_cell(wc),
        protocol=lambda wc: json.dumps(study.protocol_for(config, setting_of_cell(wc))),
        task_options=lambda wc: json.dumps(study.task_options(config, setting_of_cell(wc))),
        world=data_arg,
        masks=lambda wc, input: f"--masks {input.masks}" if "masks" in input.keys() else "",
        subset=lambda wc: setting_block(wc).get("subset", "random"),
        subset_seed=lambda wc: setting_block(wc).get("subset_seed", 0),
        study=config["study"],
    log:
        f"{R}/logs/{paths.RUN}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline finetune --study {params.study} --setting {params.setting} "
        "--model-name {wildcards.model} --model {input.model} --task {wildcards.task} "
        "{params.world} --difficulty {wildcards.difficulty} --task-options {params.task_options:q} "
        "--compression {wildcards.compression} {params.masks} --mode {wildcards.mode} "
        "--protocol {params.protocol:q} --seed {wildcards.seed} --subset {params.subset} "
        "--subset-seed {params.subset_seed} --out-model {output.model} "
        "--out {output.metrics} --out-examples {output.examples} --threads {threads} > {log} 2>&1"


# A finished run keeps its outputs in done/ until its pack has succeeded, so a failed pack's
# retry restores them (pipeline/finetune/retain.py). When the workflow ends every pack is over.
onsuccess:
    retain.sweep(Path(R) / "runs", finished=True)


onerror:
    retain.sweep(Path(R) / "runs", finished=True)
