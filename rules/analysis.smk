# Stage 7: statistics from the normalized table: the verdict on each claim and the safe
# sparsity per task (settings: the config's `analysis:` block).
from pipeline.analysis.options import Analysis


localrules:
    verdict,
    safe_sparsity,
    summarize,


rule verdict:
    input:
        table=rules.normalize.output[0],
        examples=rules.collect.output.examples,
        gates=rules.gates.output.csv,
    output:
        md=report(f"{R}/{paths.VERDICT_MD}", caption="../report/verdict.rst", category="Verdict"),
        json=f"{R}/{paths.VERDICT_JSON}",
    params:
        analysis=Analysis.from_config(config).to_json(),
        study=config["study"],
    log:
        f"{R}/logs/verdict.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline verdict --table {input.table} --examples {input.examples} "
        "--gates {input.gates} --study {params.study} "
        "--analysis {params.analysis:q} --out-md {output.md} --out-json {output.json} "
        "> {log} 2>&1"


rule safe_sparsity:
    input:
        rules.normalize.output[0],
    output:
        table=f"{R}/{paths.SAFE_SPARSITY_TABLE}",
        csv=report(
            f"{R}/{paths.SAFE_SPARSITY_CSV}",
            caption="../report/safe_sparsity.rst",
            category="Tables",
        ),
    params:
        analysis=Analysis.from_config(config).to_json(),
    log:
        f"{R}/logs/safe_sparsity.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline safe-sparsity --table {input} --analysis {params.analysis:q} "
        "--out {output.table} --csv {output.csv} > {log} 2>&1"


rule summarize:
    input:
        rules.normalize.output[0],
    output:
        table=f"{R}/{paths.SUMMARY_TABLE}",
        csv=report(
            f"{R}/{paths.SUMMARY_CSV}",
            caption="../report/summary.rst",
            category="Tables",
        ),
    params:
        analysis=Analysis.from_config(config).to_json(),
    log:
        f"{R}/logs/summarize.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline summarize --table {input} --analysis {params.analysis:q} "
        "--out {output.table} --csv {output.csv} > {log} 2>&1"
