# Stage 5: linear mode connectivity between the dense and the sparse fine-tuned model.
import json


localrules:
    collect_lmc,


rule lmc:
    input:
        dense=lambda wc: kept_model(wc, paths.DENSE, "dense"),
        sparse=lambda wc: kept_model(wc, wc.compression, "sparse"),
        world=lambda wc: [f"{R}/{paths.WORLD}"] if needs_world(wc.task) else [],
        data=staged_data,
        preflight=preflight_input,
    output:
        f"{R}/{paths.LMC}",
    params:
        protocol=lambda wc: json.dumps(
            resolve.protocol_for(config, setting_of_cell(wc), wc.task)
        ),
        alphas=config.get("lmc", {}).get("alphas", 11),
        cell=lambda wc: json.dumps({**dict(wc.items()), "seed": int(wc.seed)}),  # int64 column
        world=data_arg,
        device=job_device,
    resources:
        runtime=planned("lmc", "runtime"),
        mem_mb=planned("lmc", "mem_mb"),
    log:
        f"{R}/logs/lmc/{{model}}/{{task}}/{{difficulty}}/{{compression}}/seed{{seed}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline lmc --dense {input.dense} --sparse {input.sparse} "
        "--task {wildcards.task} {params.world} --protocol {params.protocol:q} "
        "--alphas {params.alphas} --cell {params.cell:q} --device {params.device} "
        "--out {output} > {log} 2>&1"


rule collect_lmc:
    input:
        study.lmc_targets(config),
    output:
        f"{R}/{paths.LMC_TABLE}",
    log:
        f"{R}/logs/collect_lmc.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline collect {input} --out {output} > {log} 2>&1"
