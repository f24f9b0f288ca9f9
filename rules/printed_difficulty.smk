# The printed difficulty: the paper's Table 1 as printed, across-task difficulty from the
# config's model scores and the tasks' human scores (targeted by `all` only when the config
# has a `reference_scores` block).
import json

from pipeline.analysis.printed_difficulty import PRINTED_CSV, PRINTED_TABLE


localrules:
    printed_difficulty,


rule printed_difficulty:
    output:
        table=f"{R}/{PRINTED_TABLE}",
        csv=report(
            f"{R}/{PRINTED_CSV}", caption="../report/printed_difficulty.rst", category="Tables"
        ),
    params:
        scores=json.dumps(config.get("reference_scores", {})),
    log:
        f"{R}/logs/printed_difficulty.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline printed-difficulty --scores {params.scores:q} --out {output.table} "
        "--csv {output.csv} > {log} 2>&1"
