# Stage 4: results table (Parquet) and normalization against the dense runs.


localrules:
    collect,
    normalize,


rule collect:
    input:
        [c.path(paths.METRICS, R) for c in CELLS],
    output:
        f"{R}/{paths.RESULTS_TABLE}",
    log:
        f"{R}/logs/collect.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline collect {input} --out {output} > {log} 2>&1"


rule normalize:
    input:
        f"{R}/{paths.RESULTS_TABLE}",
    output:
        f"{R}/{paths.NORMALIZED_TABLE}",
    log:
        f"{R}/logs/normalize.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline normalize --table {input} --out {output} > {log} 2>&1"
