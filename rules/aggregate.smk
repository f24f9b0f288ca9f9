# Stage 4: results and per-example tables (Parquet) and normalization against the dense runs.


localrules:
    collect,
    normalize,


rule collect:
    input:
        records=[c.path(paths.METRICS, R) for c in CELLS],
        examples=[c.path(paths.EXAMPLES, R) for c in CELLS],
    output:
        results=f"{R}/{paths.RESULTS_TABLE}",
        examples=f"{R}/{paths.EXAMPLES_TABLE}",
    log:
        f"{R}/logs/collect.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline collect {input.records} --out {output.results} "
        "--examples-out {output.examples} > {log} 2>&1"


rule normalize:
    input:
        rules.collect.output.results,
    output:
        f"{R}/{paths.NORMALIZED_TABLE}",
    log:
        f"{R}/logs/normalize.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline normalize --table {input} --out {output} > {log} 2>&1"
