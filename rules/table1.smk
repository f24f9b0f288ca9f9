# The paper's Table 1: across-task difficulty from the config's model scores and the tasks'
# human scores (targeted by `all` only when the config has a `reference_scores` block).
import json

from pipeline.analysis.table1 import TABLE1_CSV, TABLE1_TABLE


localrules:
    table1,


rule table1:
    output:
        table=f"{R}/{TABLE1_TABLE}",
        csv=report(f"{R}/{TABLE1_CSV}", caption="../report/table1.rst", category="Tables"),
    params:
        scores=json.dumps(config.get("reference_scores", {})),
    log:
        f"{R}/logs/table1.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline table1 --scores {params.scores:q} --out {output.table} "
        "--csv {output.csv} > {log} 2>&1"
