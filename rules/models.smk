# Stage 1: the synthetic world and the staged (pre-trained / scratch / hub) models.
import json

from pipeline.config import model_spec
from pipeline.data.catalog import model_names


rule make_world:
    output:
        directory(f"{R}/{paths.WORLD}"),
    params:
        world=json.dumps(config.get("world", {})),
    log:
        f"{R}/logs/make_world.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline make-world --params {params.world:q} --out {output} > {log} 2>&1"


rule stage_model:
    """Synthetic pre-training, scratch controls and implants; hub models: stage_hub_model."""
    input:
        world=world_input,
        base=implant_base,
    output:
        directory(f"{R}/{paths.MODEL}"),
    wildcard_constraints:
        model=model_names(config, hub=False),
    params:
        spec=lambda wc: json.dumps(model_spec(config, wc.model)),
        world=lambda wc, input: f"--world {input.world}" if input.world else "",
        base=lambda wc, input: f"--base {input.base}" if input.base else "",
    threads: 1  # tiny models gain little from a second thread; two stage in parallel
    priority: stage_priority
    log:
        f"{R}/logs/stage_model/{{model}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        "python -m pipeline stage-model --spec {params.spec:q} {params.world} {params.base} "
        "--out {output} --threads {threads} > {log} 2>&1"
