# The difficulty gates: headroom of every difficulty level (dense vs chance + 5 SE,
# pre-trained vs scratch), from the results table; the Markdown is the verdict's gates section.
import json

from pipeline.analysis.options import Analysis


localrules:
    gates,


rule gates:
    input:
        table=rules.collect.output.results,
        examples=rules.collect.output.examples,
        world=lambda wc: [f"{R}/{paths.WORLD}"] if "world" in config else [],
    output:
        csv=report(
            f"{R}/{paths.GATES_CSV}",
            caption="../report/gates.rst",
            category="Tables",
        ),
        md=f"{R}/{paths.GATES_MD}",
    params:
        settings=json.dumps(config["settings"]),
        world=lambda wc, input: f"--world {input.world}" if input.world else "",
        tolerance=Analysis.from_config(config).published_tolerance,
        headroom=Analysis.from_config(config).headroom_se,
    log:
        f"{R}/logs/gates.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline gates --table {input.table} --settings {params.settings:q} "
        "--examples {input.examples} {params.world} --published-tolerance {params.tolerance} "
        "--headroom-se {params.headroom} "
        "--out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
