# junkdna: the Junk DNA Hypothesis study. The DAG lives here; the logic lives in `pipeline/`.
#   snakemake --cores 2 all_figures     embedded default study (CPU, offline, minutes)
#   snakemake -n all_figures            inspect the DAG
#   snakemake --profile slurm all_figures   paper-scale study on a SLURM cluster
from snakemake.utils import min_version, validate

min_version("9.0")


# The embedded default study, unless the user names another study with --configfile:
# a study's config is complete on its own, so the default's keys must never leak into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"



from pipeline.config_schema import schema_file

# The schema's registry-backed choices come from the registries (pipeline/config_schema.py).
validate(config, schema_file())

from pipeline import paths, placeholders, plan, resolve, study, targets
from pipeline.config import check_config
from pipeline.data.offline import OFFLINE_ENV
from pipeline.worker import lifecycle as worker

check_config(config)
# Every job's walltime, memory and pack, from one frozen view of this merged config.
PLAN = plan.install(config)

R = config["results_dir"]
CELLS = study.cells(config)
SETTING_OF = study.setting_of(CELLS)


wildcard_constraints:
    model=r"[A-Za-z0-9_.-]+",
    task=r"[A-Za-z0-9_]+",
    difficulty=r"[a-z_]+-[^/]+",
    compression=r"dense|[a-z_0-9]+-[^/]+",
    method=r"[a-z_0-9]+",
    level=r"[^/]+",
    mode=r"[a-z_]+",
    seed=r"\d+",
    figure=r"[a-z0-9_]+",


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/models.smk"
include: "rules/compress.smk"
include: "rules/finetune.smk"
include: "rules/aggregate.smk"
include: "rules/calibration.smk"  # before analysis: the verdict reads its table
include: "rules/lmc.smk"
include: "rules/analysis.smk"
include: "rules/figures.smk"
include: "rules/table1.smk"


# A warm worker runs the jobs of a local run (pipeline/worker: one fork per job instead of
# seconds of imports); JUNKDNA_WORKER=0 turns it off, SLURM runs never use it.
onstart:
    placeholders.refuse(workflow, config)  # a real run only: CHANGE_ME_*, UNPINNED
    worker.start(f"{R}/logs/worker.log", local=workflow.local_exec, env=OFFLINE_ENV)


onsuccess:
    worker.stop()


onerror:
    worker.stop()


rule all:
    """Every run of the study, its results tables and the LMC paths."""
    input:
        targets.table_targets(config),


rule all_figures:
    """Every figure of the study (and, through them, every run), the verdict and the safe
    sparsity table; the default target, so `snakemake --report report.html` collects them."""
    default_target: True
    input:
        targets.figure_targets(config),


rule setting_data_fraction:
    """Setting 1 only: data adequacy."""
    input:
        [c.path(paths.METRICS, R) for c in CELLS if c.setting == "data_fraction"],
