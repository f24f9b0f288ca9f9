# junkdna: the Junk DNA Hypothesis study. The DAG lives here; the logic lives in `pipeline/`.
#   snakemake --cores 2 all_figures     embedded default study (CPU, offline, minutes)
#   snakemake -n all_figures            inspect the DAG
#   snakemake --profile slurm all_figures   paper-scale study on a SLURM cluster
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


DEFAULT_STUDY = Path(workflow.basedir) / "config.yaml"  # the embedded default study

# Snakemake's record of the config file (the report lists it); the config a run uses is
# built below, so a whole study's --configfile never inherits the default's keys.
if not workflow.overwrite_configfiles:

    configfile: DEFAULT_STUDY



from pipeline.overrides import study_config

# config.yaml, then each --configfile (a whole study, with `study:`, replaces it; a file
# without overlays it), then --config: coerced to the schema's types, its defaults filled
# in, validated with one short message per mistake (pipeline/overrides.py).
_study = study_config(
    DEFAULT_STUDY,
    workflow.config_settings.configfiles,
    workflow.config_settings.config,
)
config.clear()
config.update(_study)

from pipeline import paths, resolve, study, targets
from pipeline.cluster import dag_speed, placeholders, resources
from pipeline.deployment import check_deployment
from pipeline.config import check_config
from pipeline.data.offline import OFFLINE_ENV
from pipeline.finetune import retain
from pipeline.instances import MODEL_PATTERN
from pipeline.worker import lifecycle as worker

check_config(config)
check_deployment(workflow.deployment_settings.deployment_method)  # --sdm: conda or none
# Every job's walltime, memory and pack, from one frozen view of this merged config.
PLAN = resources.install(config)
# Planning ~5,700 jobs fast (pipeline/cluster/dag_speed.py): the profile's resource strings that name
# nothing of a job are evaluated once, the garbage collector re-scans the DAG less often, and
# the signature Snakemake reads to evaluate each resource of each job is recorded once.
dag_speed.freeze_constant_resources(workflow.resource_settings)
dag_speed.collect_garbage_less_often()
dag_speed.remember_resource_signature()

# The study, typed and frozen, built once from the merged config (pipeline/study.py).
STUDY = study.Study.from_config(config)
R = STUDY.results_dir
CELLS = list(STUDY.cells)
SETTING_OF = STUDY.setting_of


wildcard_constraints:
    model=MODEL_PATTERN,  # a name, or an instance: <name>/p<pretrain seed>
    task=r"[A-Za-z0-9_]+",
    difficulty=r"[a-z_]+-[^/]+",
    compression=r"dense|[a-z_0-9]+-[^/]+",
    method=r"[a-z_0-9]+",
    level=r"[^/]+",
    mode=r"[a-z_]+",
    budget=r"(/budget-[0-9.]+x)?",
    seed=r"\d+",
    figure=r"[a-z0-9_]+",


include: "rules/common.smk"
include: "rules/device.smk"
include: "rules/data.smk"
include: "rules/models.smk"
include: "rules/compress.smk"
include: "rules/finetune.smk"
include: "rules/aggregate.smk"
include: "rules/gates.smk"  # before analysis: the verdict reads its table
include: "rules/lmc.smk"
include: "rules/analysis.smk"
include: "rules/figures.smk"
include: "rules/printed_difficulty.smk"


# A warm worker runs the jobs of a local run (pipeline/worker: one fork per job instead of
# seconds of imports); JUNKDNA_WORKER=0 turns it off, SLURM runs never use it.
onstart:
    placeholders.refuse(workflow, config)  # a real run only: CHANGE_ME_*, UNPINNED
    worker.start(f"{R}/logs/worker.log", local=workflow.local_exec, env=OFFLINE_ENV)


# The one end-of-workflow handler (Snakemake keeps only the last onsuccess/onerror, so every
# cleanup is here): stop the worker; remove the results kept in runs/**/done for the retry
# of a failed pack (pipeline/finetune/retain.py): when the workflow ends every pack is over.
onsuccess:
    worker.stop()
    retain.sweep(Path(R) / "runs", finished=True)


onerror:
    worker.stop()
    retain.sweep(Path(R) / "runs", finished=True)


rule all:
    """Every run of the study, its results tables and the LMC paths."""
    input:
        targets.table_targets(STUDY),


rule all_figures:
    """Every figure of the study (and, through them, every run), the verdict and the safe
    sparsity table; the default target, so `snakemake --report report.html` collects them."""
    default_target: True
    input:
        targets.figure_targets(STUDY),


rule setting_data_fraction:
    """Setting 1 only: data adequacy."""
    input:
        [c.path(paths.METRICS, R) for c in CELLS if c.setting == "data_fraction"],
