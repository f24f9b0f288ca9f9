# Stage 6: figures, each drawn from one Parquet table.
from pipeline.figures.registry import FIGURES


localrules:
    figure,


TABLE_OF = {"normalized": paths.NORMALIZED_TABLE, "lmc": paths.LMC_TABLE}


rule figure:
    input:
        lambda wc: f"{R}/{TABLE_OF[FIGURES[wc.figure][1]]}",
    output:
        report(f"{R}/{paths.FIGURE}", category="Figures"),
    log:
        f"{R}/logs/figures/{{figure}}.log",
    shell:
        "python -m pipeline figure --name {wildcards.figure} --table {input} "
        "--out {output} > {log} 2>&1"
