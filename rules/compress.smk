# Stage 2: compression masks of the pre-trained backbone (bit-packed) and their reports.


rule prune:
    input:
        model=f"{R}/{paths.MODEL}",
    output:
        mask=f"{R}/masks/{{model}}/{{method}}-{{level}}/mask.npz",
        report=f"{R}/masks/{{model}}/{{method}}-{{level}}/report.json",
    params:
        seed=config["compression"].get("seed", 0),
    log:
        f"{R}/logs/prune/{{model}}/{{method}}-{{level}}.log",
    shell:
        "python -m pipeline prune --model {input.model} --method {wildcards.method} "
        "--level {wildcards.level} --seed {params.seed} --out-mask {output.mask} "
        "--out-report {output.report} > {log} 2>&1"
