# Stage 4: results and per-example tables (Parquet) and normalization against the dense runs.
from pipeline.analysis.options import Analysis


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
    params:
        # The analysis hash is recorded at the first collect (never overwritten). A function
        # of output is a derived param, which Snakemake's rerun trigger leaves out: a changed
        # analysis block re-judges, it does not re-collect.
        analysis=lambda wildcards, output: Analysis.from_config(config).to_json(),
    log:
        f"{R}/logs/collect.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline collect {input.records} --out {output.results} "
        "--examples-out {output.examples} --analysis {params.analysis:q} > {log} 2>&1"


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
