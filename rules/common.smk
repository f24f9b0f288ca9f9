# Input functions of the rules, kept apart from the rules (snakemake --lint: no functions
# in a rule file). They run when the DAG is built, so they may use names defined by the
# Snakefile (config, R, paths, SETTING_OF) and by the rule files (METHODS, CALIBRATION).


def world_input(wildcards):
    source = config["models"][wildcards.model]["source"]
    return [f"{R}/{paths.WORLD}"] if source in ("synthetic", "scratch") else []


def prune_inputs(wc):
    inputs = {"model": f"{R}/{paths.MODEL}".format(model=wc.model)}
    if METHODS[wc.method].needs_calibration and CALIBRATION.get("source", "world") == "world":
        inputs["world"] = f"{R}/{paths.WORLD}"
    return inputs


def finetune_inputs(wc):
    inputs = {"model": f"{R}/{paths.MODEL}".format(model=wc.model), "world": f"{R}/{paths.WORLD}"}
    if wc.compression != paths.DENSE:
        inputs["masks"] = f"{R}/{paths.MASK}".format(model=wc.model, compression=wc.compression)
    return inputs


def setting_block(wc):
    return config["settings"][SETTING_OF[(wc.model, wc.task, wc.difficulty)]]
