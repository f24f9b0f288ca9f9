# Where model-running jobs run: the study's `device` (config.yaml: cpu; configs/paper.yaml:
# cuda), passed to every such verb as --device (rules/common.smk, job_device), so a GPU job
# without a usable GPU fails at once instead of training on the host. With device cuda, one
# short GPU job checks the GPU (torch's CUDA against the driver, free memory) before any
# other GPU job starts: each depends on its report (ancient: its time never triggers a rerun;
# temp: it is run again, in a later invocation, before the next GPU job there).


rule gpu_preflight:
    output:
        temp(f"{R}/{GPU_PREFLIGHT}"),
    params:
        min_free=config.get("device_min_free_gib", 0),
    resources:
        gpu=1,
        runtime=10,
        mem_mb=8000,
    log:
        f"{R}/logs/gpu_preflight.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline gpu-preflight --device cuda --min-free-gib {params.min_free} "
        "--out {output} > {log} 2>&1"
