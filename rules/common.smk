# Input functions of the rules, kept apart from the rules (snakemake --lint: no functions
# in a rule file). They run when the DAG is built, so they may use names defined by the
# Snakefile (config, R, paths, SETTING_OF) and by the rule files (METHODS, CALIBRATION).
import json
import shlex
from dataclasses import replace

from pipeline import instances
from pipeline.compress.registry import METHODS
from pipeline.wildcards import cell_setting, wildcard_value

# The compression methods a path may name: the study's (a mistyped one fails naming them).
STUDY_METHODS = {name: METHODS[name] for name in config["compression"]["methods"]}


GPU_PREFLIGHT = "logs/gpu_preflight.json"


def job_device(wc):
    """--device of a model-running job: the study's device; a compression that runs no
    model (magnitude, random, RTN: a sort or a rounding) stays on the CPU, as its SLURM job
    has no GPU (pipeline/compress/registry.py, gpus)."""
    if "method" in wc.keys() and not METHODS[wc.method].needs_calibration:
        return "cpu"
    return STUDY.device


def preflight_input(wc):
    """The GPU check every GPU job waits for (rules/device.smk); none on the CPU."""
    return [ancient(f"{R}/{GPU_PREFLIGHT}")] if job_device(wc) == "cuda" else []


def world_input(wildcards):
    source = instances.entry(config, wildcards.model)["source"]
    return [f"{R}/{paths.WORLD}"] if source in ("synthetic", "scratch", "implant") else []


def implant_base(wildcards):
    """An implant starts from its ``of`` model's staged folder (the same pre-training seed)."""
    spec = instances.entry(config, wildcards.model)
    return [f"{R}/{paths.MODEL}".format(model=spec["of"])] if spec["source"] == "implant" else []


def prune_inputs(wc):
    inputs = {"model": f"{R}/{paths.MODEL}".format(model=wc.model)}
    if METHODS[wc.method].needs_calibration and CALIBRATION.get("source", "world") == "world":
        inputs["world"] = f"{R}/{paths.WORLD}"
    if METHODS[wc.method].needs_calibration and CALIBRATION.get("source") == "hub":
        inputs["calibration"] = calibration_data_dir(config)
    inputs["preflight"] = preflight_input(wc)
    return inputs


def needs_world(task_name):
    """Synthetic tasks read their data from the world; hub tasks do not need it."""
    from pipeline.tasks.registry import TASKS

    return wildcard_value("task", task_name, TASKS).source == "synthetic"


def finetune_inputs(wc):
    """A mode that applies its compression itself (quantizes, adds noise) needs no stored
    one; post-training quantization and noise start from the cell's dense fine-tuned model
    (pipeline/finetune/modes)."""
    from pipeline.finetune.modes import MODES

    setting_of_cell(wc)  # a path naming no cell of the study fails here, naming the wildcard
    mode = wildcard_value("mode", wc.mode, MODES)
    inputs = {"model": f"{R}/{paths.MODEL}".format(model=wc.model)}
    if mode.from_dense_run:
        inputs["model"] = kept_model(wc, paths.DENSE, "dense")
    if needs_world(wc.task):
        inputs["world"] = f"{R}/{paths.WORLD}"
    inputs["data"] = staged_data(wc)
    inputs["preflight"] = preflight_input(wc)
    if wc.compression != paths.DENSE and mode.applies is None:
        method = paths.split_compression(wc.compression)[0]
        seeded = wildcard_value("method", method, STUDY_METHODS).seeded
        inputs["masks"] = f"{R}/{paths.SEEDED_MASK if seeded else paths.MASK}".format(
            model=wc.model, compression=wc.compression, seed=wc.seed
        )
    return inputs


def finetune_cell(wc):
    return study.Cell(
        setting_of_cell(wc),
        wc.model,
        wc.task,
        wc.difficulty,
        wc.compression,
        wc.mode,
        int(wc.seed),
        paths.budget_of(wc.budget),
    )


def finetune_run(wc):
    """What a fine-tune computes: the identity of its run spec (pipeline/finetune/spec.py),
    as JSON. A params entry of its own so that a change reruns the cell (Snakemake compares
    the params that take no input or output); the command passes it within finetune_spec."""
    return json.dumps(STUDY.run_spec(finetune_cell(wc)).identity(), sort_keys=True)


def finetune_spec(wc, input, output, threads):
    """A fine-tune's whole run spec, one quoted JSON argument of the verb: its identity
    (finetune_run), the files it reads and writes, and how it runs. Takes `input` and
    `output`, so Snakemake counts it as derived: a file path, the checkpoint interval or
    turning tracking on never rerun a finished run."""
    spec = replace(
        STUDY.run_spec(finetune_cell(wc)),
        model_dir=Path(input.model),
        world_dir=data_dir(input),
        masks_path=Path(input.masks) if "masks" in input.keys() else None,
        out=Path(output.metrics),
        examples_path=Path(output.examples),
        out_dir=Path(output.model) if "model" in output.keys() else None,
        threads=threads,
    )
    return shlex.quote(spec.to_json())


def kept_model(wc, compression, mode):
    """The fine-tuned model another run of this cell and seed saves (rule
    finetune_keep_model): the dense start of post-training quantization, the LMC end points."""
    setting_of_cell(wc)  # a path naming no cell of the study fails here, naming the wildcard
    return rules.finetune_keep_model.output.model.format(
        **paths.run_of(wc, compression, mode)
    )


def staged_data(wc):
    """The staged data set folders a hub task's job reads (none for synthetic tasks)."""
    from pipeline.tasks.registry import get_task

    return task_data_dirs(config, get_task(wc.task), setting_block(wc))


def data_dir(input):
    """A fine-tune's data folder: the world (synthetic tasks) or the staged data (hub tasks)."""
    if "world" in input.keys() and input.world:
        return Path(input.world)
    return Path(R, "data") if input.data else None


def data_arg(wc, input):
    """The LMC verb's data folder option: --world (synthetic tasks) or --data (hub tasks)."""
    if "world" in input.keys() and input.world:
        return f"--world {input.world}"
    return f"--data {R}/data" if input.data else ""


def setting_of_cell(wc):
    return cell_setting(SETTING_OF, wc.model, wc.task, wc.difficulty)


def setting_block(wc):
    return config["settings"][setting_of_cell(wc)]


def planned(kind, resource):
    """A job's walltime (``runtime``, minutes) or host memory (``mem_mb``) from the study's
    plan (pipeline/cluster/resources.py: built from the merged config, so overrides
    reach it), as a resource of its rule: a plain function call per job, where a profile
    expression is compiled and evaluated in a fresh namespace for each of the paper's
    ~5,700 jobs. The profile's set-resources still override it."""
    function = getattr(resources, resource)

    def value(wildcards, attempt):
        return function(kind, wildcards, attempt)

    return dag_speed.remember_signature(value)


def finetune_pack(wc):
    """Short fine-tunes share a SLURM allocation (pipeline/cluster/packing.py), when
    the profile asks for packs (group-components, the SLURM profile); otherwise none."""
    from pipeline.cluster import packing

    if packing.PACK_GROUP not in workflow.group_settings.group_components:
        return None
    return packing.pack_group(PLAN, "finetune", wc)


def stage_priority(wc):
    """Longest pre-training first: every job of a model waits for it (the study's critical
    path), so it must not queue behind shorter stagings."""
    return instances.entry(config, wc.model).get("pretrain", {}).get("steps", 0)


# Snakemake inspects each of these per job, two or three times (pipeline/cluster/dag_speed.py).
dag_speed.remember_signatures(
    finetune_inputs, finetune_run, finetune_spec, finetune_pack, prune_inputs
)
