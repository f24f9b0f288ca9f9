# Stage 6: figures (PNG + PDF), each drawn from one Parquet table; the PNG goes into
# `snakemake --report report.html` with the figure's caption from the registry.
from pipeline.analysis.options import Analysis
from pipeline.figures.registry import FIGURES


localrules:
    figure,


TABLE_OF = {
    "normalized": rules.normalize.output[0],
    "lmc": rules.collect_lmc.output[0],
    "verdict": rules.verdict.output.json,
}


rule figure:
    input:
        lambda wc: TABLE_OF[FIGURES[wc.figure].table],
    output:
        png=report(
            f"{R}/{paths.FIGURE}",
            caption="../report/figure.rst",
            category="Figures",
            labels=lambda wc: {"figure": wc.figure},
        ),
        pdf=f"{R}/{paths.FIGURE_PDF}",
    params:
        analysis=Analysis.from_config(config).to_json(),
        caption=lambda wc: FIGURES[wc.figure].caption,
    log:
        f"{R}/logs/figures/{{figure}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline figure --name {wildcards.figure} --table {input} "
        "--analysis {params.analysis:q} --out {output.png} --pdf {output.pdf} > {log} 2>&1"
