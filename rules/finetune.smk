# Stage 3: fine-tune and evaluate each cell; one protocol for every mode of a cell.
# Checkpoints go to the run folder's checkpoint/ (the verb's default, next to metrics.json),
# every `checkpoint_minutes` of wall time. It is deliberately not a declared output:
# Snakemake deletes the outputs of a failed job but keeps that folder, so rerunning the job
# resumes from it; the verb removes it on success.
# Only the runs a downstream job reads (LMC end points; the dense run that post-training
# quantization starts from) save their fine-tuned model: rule finetune_keep_model, which
# matches exactly those run folders and wins over finetune for them (ruleorder). Every
# other run writes its metrics.json and examples.parquet only.
import json


KEPT_MODEL = study.kept_model_constraint(config, CELLS, r"[A-Za-z0-9_.-]+")

from pipeline.finetune import tracking


ruleorder: finetune_keep_model > finetune


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        metrics=f"{R}/{paths.METRICS}",
        examples=f"{R}/{paths.EXAMPLES}",
    params:
        setting=lambda wc: setting_of_cell(wc),
        protocol=lambda wc: json.dumps(
            resolve.protocol_for(config, setting_of_cell(wc), wc.task)
        ),
        task_options=lambda wc: json.dumps(study.task_options(config, setting_of_cell(wc))),
        world=data_arg,
        masks=lambda wc, input: f"--masks {input.masks}" if "masks" in input.keys() else "",
        out_model=lambda wc, output: (
            f"--out-model {output.model}" if "model" in output.keys() else ""
        ),
        subset=lambda wc: setting_block(wc).get("subset", "random"),
        subset_seed=lambda wc: setting_block(wc).get("subset_seed", wc.seed),
        checkpoint_minutes=config.get("checkpoint_minutes", 20),
        # Takes `output`, so Snakemake counts it as derived, not as a parameter of the run:
        # turning tracking on or off never reruns a finished run.
        tracking=lambda wc, output: tracking.command_args(config),
        study=config["study"],
        device=job_device,
    log:
        f"{R}/logs/{paths.RUN}.log",
    group:
        finetune_pack
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline finetune --study {params.study} --setting {params.setting} "
        "--model-name {wildcards.model} --model {input.model} --task {wildcards.task} "
        "{params.world} --difficulty {wildcards.difficulty} --task-options {params.task_options:q} "
        "--compression {wildcards.compression} {params.masks} --mode {wildcards.mode} "
        "--protocol {params.protocol:q} --seed {wildcards.seed} --subset {params.subset} "
        "--subset-seed {params.subset_seed} {params.out_model}{params.tracking} "
        "--checkpoint-minutes {params.checkpoint_minutes} --out {output.metrics} "
        "--out-examples {output.examples} --threads {threads} --device {params.device} "
        "> {log} 2>&1"


use rule finetune as finetune_keep_model with:
    output:
        metrics=f"{R}/{paths.METRICS}",
        examples=f"{R}/{paths.EXAMPLES}",
        # temp: Snakemake deletes it once its readers (LMC, ptq) are done.
        model=temp(directory(f"{R}/{paths.FINETUNED}")),
    wildcard_constraints:
        model=KEPT_MODEL,
    # Unpacked: in a pack with its readers (ptq runs) it would join them into one group
    # component, and a pack of such components could outgrow its walltime budget.
    group:
        lambda wc: None

