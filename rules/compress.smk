# Stage 2: compress the pre-trained backbone at each level: bit-packed mask + report, and the
# new weights (safetensors) for methods that change them (SparseGPT, quantization).
import json

from pipeline.compress.prunable import DEFAULT_POLICY
from pipeline.compress.registry import METHODS

COMPRESSION = config["compression"]
CALIBRATION = COMPRESSION.get("calibration", {})
WEIGHT_METHODS = sorted(n for n, m in METHODS.items() if m.changes_weights)
MASK_METHODS = sorted(n for n, m in METHODS.items() if not (m.changes_weights or m.seeded))
SEEDED_METHODS = sorted(n for n, m in METHODS.items() if m.seeded)
COMPRESSED = f"{R}/{paths.by_method_level(paths.COMPRESSED)}"
SEEDED_COMPRESSED = f"{R}/{paths.by_method_level(paths.SEEDED_COMPRESSED)}"


PRUNE_PARAMS = dict(
    seed=COMPRESSION.get("seed", 0),
    prunable=COMPRESSION.get("prunable", DEFAULT_POLICY),
    options=lambda wc: json.dumps(COMPRESSION.get("options", {}).get(wc.method, {})),
    calibration=lambda wc, input: json.dumps(
        {**CALIBRATION, **({"staged": input.calibration} if "calibration" in input.keys() else {})}
    ),
    world=lambda wc, input: f"--world {input.world}" if "world" in input.keys() else "",
    device=job_device,
)
PRUNE_SHELL = (
    "python -m pipeline prune --model {input.model} --method {wildcards.method} "
    "--level {wildcards.level} --seed {params.seed} --options {params.options:q} "
    "--prunable {params.prunable} "
    "--calibration {params.calibration:q} {params.world} --threads {threads} "
    "--device {params.device} "
    "--out-mask {output.mask} --out-report {output.report} {params.weights} > {log} 2>&1"
)


rule prune:
    """Mask-only methods (magnitude variants, random control, Wanda)."""
    input:
        unpack(prune_inputs),
    output:
        mask=f"{COMPRESSED}/{paths.MASK_FILE}",
        report=f"{COMPRESSED}/{paths.REPORT_FILE}",
    wildcard_constraints:
        method="|".join(MASK_METHODS),
    params:
        **PRUNE_PARAMS,
        weights="",
    threads: 2
    resources:
        runtime=planned("prune", "runtime"),
        mem_mb=planned("prune", "mem_mb"),
    log:
        f"{R}/logs/prune/{{model}}/{{method}}-{{level}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        PRUNE_SHELL


rule prune_seeded:
    """Randomised mask methods (the random control): one mask per run seed."""
    input:
        unpack(prune_inputs),
    output:
        mask=f"{SEEDED_COMPRESSED}/{paths.MASK_FILE}",
        report=f"{SEEDED_COMPRESSED}/{paths.REPORT_FILE}",
    wildcard_constraints:
        method="|".join(SEEDED_METHODS),
    params:
        **{**PRUNE_PARAMS, "seed": lambda wc: wc.seed},
        weights="",
    threads: 2
    resources:
        runtime=planned("prune", "runtime"),
        mem_mb=planned("prune", "mem_mb"),
    log:
        f"{R}/logs/prune/{{model}}/{{method}}-{{level}}/seed{{seed}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        PRUNE_SHELL


rule prune_weights:
    """Methods that change the kept weights (SparseGPT, RTN quantization)."""
    input:
        unpack(prune_inputs),
    output:
        mask=f"{COMPRESSED}/{paths.MASK_FILE}",
        report=f"{COMPRESSED}/{paths.REPORT_FILE}",
        weights=f"{COMPRESSED}/{paths.WEIGHTS_FILE}",
    wildcard_constraints:
        method="|".join(WEIGHT_METHODS),
    params:
        **PRUNE_PARAMS,
        weights=lambda wc, output: f"--out-weights {output.weights}",
    threads: 2
    resources:
        runtime=planned("prune", "runtime"),
        mem_mb=planned("prune", "mem_mb"),
    log:
        f"{R}/logs/prune/{{model}}/{{method}}-{{level}}.log",
    conda:
        "../envs/junkdna.yaml"
    shell:
        PRUNE_SHELL
