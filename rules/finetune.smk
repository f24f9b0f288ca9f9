# Stage 3: fine-tune and evaluate each cell; one protocol for every mode of a cell.
# Checkpoints go to the run folder's checkpoint/ (the verb's default, next to metrics.json),
# every `checkpoint_minutes` of wall time. It is deliberately not a declared output:
# Snakemake deletes the outputs of a failed job but keeps that folder, so rerunning the job
# resumes from it; the verb removes it on success.
# Only the runs a downstream job reads (LMC end points; the dense run that post-training
# quantization starts from) save their fine-tuned model: rule finetune_keep_model, which
# matches exactly those run folders and wins over finetune for them (ruleorder). Every
# other run writes its metrics.json and examples.parquet only.
KEPT_MODEL = study.kept_model_constraint(config, CELLS, MODEL_PATTERN)


ruleorder: finetune_keep_model > finetune


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        metrics=f"{R}/{paths.METRICS}",
        examples=f"{R}/{paths.EXAMPLES}",
    params:
        # The run spec's identity (pipeline/finetune/spec.py): a change reruns the cell. Two
        # callables per job, not ten: Snakemake inspects and calls every params function of
        # each of the paper's ~5,400 fine-tunes (rules/common.smk, finetune_run).
        run=finetune_run,
        # The whole spec, one JSON argument; derived (takes `output`): file paths, the
        # checkpoint interval and tracking never rerun a finished run.
        spec=finetune_spec,
    resources:
        runtime=planned("finetune", "runtime"),
        mem_mb=planned("finetune", "mem_mb"),
    log:
        f"{R}/logs/{paths.RUN}.log",
    group:
        finetune_pack
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline finetune {params.spec} > {log} 2>&1"


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

