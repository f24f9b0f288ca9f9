"""How long each job of a study takes on the cluster's GPU, from the work it does.

A job's minutes = the tokens it pushes through the model / the model's throughput on the
GPU (the profile's ``throughput.yaml``), plus the model's load time:

- fine-tune: train rows (x data fraction) x epochs x padded tokens per example (random
  batches pad to about the 99th-percentile length, capped at max_length) at the ``train``
  rate; then one evaluation pass;
- evaluation (every fine-tune and zero-shot run): validation rows x mean tokens
  (length-sorted batches pad little) at the ``forward`` rate, plus, for generation tasks,
  validation rows x new tokens x beams at the ``generate`` rate;
- LMC: alphas x one evaluation pass, plus loading two models;
- Wanda/SparseGPT: calibration samples x tokens x (blocks + 1) / 2 forward passes (block by
  block, pipeline/compress/sequential.py); the data-free methods run on the CPU.

Rows are what staging wrote: each staged data set's ``staged.json`` under
``<results_dir>/data``, else the published counts of ``slurm/staged_rows.yaml`` with the
study's row limits and caps applied as staging applies them (pipeline/data/catalog.py), so a
study is priced before anything is staged and re-priced from the real counts after.
Token lengths are measured means and 99th percentiles under each model's tokenizer.

The requested walltime is ``margin x estimate x attempt``, capped at ``max_runtime``; a job
whose estimate alone exceeds ``max_runtime`` is refused at planning time (:class:`TooLong`):
it could never finish in one allocation.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import instances, paths
from pipeline.compress.registry import get_method
from pipeline.resolve import protocol_for
from pipeline.study import cells, setting_of
from pipeline.tasks.registry import get_task

SLURM_DIR = Path(__file__).resolve().parents[2] / "slurm"
THROUGHPUT_FILE = SLURM_DIR / "throughput.yaml"
THROUGHPUT_ENV = "JUNKDNA_THROUGHPUT"
ROWS_FILE = SLURM_DIR / "staged_rows.yaml"
ROWS_ENV = "JUNKDNA_STAGED_ROWS"


class TooLong(ValueError):
    """A job whose estimate exceeds the partition's walltime: planning it would only buy
    timeouts."""


@dataclass(frozen=True)
class Tokens:
    """Token lengths of one example under its model's tokenizer."""

    mean: float  # one example (all its segments; per choice for multiple choice)
    p99: float
    choices: int = 1  # multiple choice: every choice is a sequence
    target: float = 0.0  # generation: teacher-forced target (training, loss)


# GLUE (RoBERTa BPE), WinoGrande-xl, CommonsenseQA, TriviaQA rc (open book: evidence cut at
# 3072 characters; Llama tokenizer), SVAMP/MAWPS (BART BPE: a short problem, an equation of
# ~12 tokens generated), OPUS-100 (mBART sentencepiece, 30 tokens a side).
TOKENS = {
    "sst2": Tokens(13, 55),
    "cola": Tokens(11, 34),
    "qqp": Tokens(30, 96),
    "stsb": Tokens(31, 82),
    "qnli": Tokens(51, 150),
    "rte": Tokens(70, 250),
    "mnli": Tokens(40, 105),
    "winogrande": Tokens(30, 50, choices=2),
    "csqa": Tokens(25, 45, choices=5),
    "triviaqa/book-open": Tokens(820, 900, target=8),
    "triviaqa/book-closed": Tokens(40, 70, target=8),
    "svamp": Tokens(45, 90, target=12),
    "mawps": Tokens(35, 80, target=12),
    "opus100": Tokens(30, 90, target=30),
}


@dataclass(frozen=True)
class TaskSize:
    n_train: int
    n_eval: int
    tokens: Tokens


@dataclass(frozen=True)
class Throughput:
    train: float
    forward: float
    generate: float
    load_minutes: float


@dataclass(frozen=True)
class Plan:
    """One typed, frozen view of a study for sizing its jobs: a snapshot of the merged,
    validated config, the cluster's throughput table and the row counts each data set
    holds as staged. Built once per Snakemake run (pipeline/cluster/resources.py) or per cost
    report."""

    config: dict[str, Any]
    gpu: str
    models: Mapping[str, Throughput]
    max_runtime: float
    margin: float
    pack_size: int
    rows: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    host_mem_mb: Mapping[str, int] = field(default_factory=dict)
    settings: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    first_principles: Mapping[str, Any] = field(default_factory=dict)
    # Estimates by the work that sets them (rule kind, model, task, level, whether it trains):
    # thousands of jobs share a few hundred, and Snakemake asks for each job's twice.
    memo: dict[tuple, float] = field(default_factory=dict, compare=False, repr=False)

    def speed(self, model: str) -> Throughput:
        """The model's row; a model the table does not name gets the ``default`` row (a
        study's own small models, e.g. the tiny test study), else an error."""
        model = continued_base(self.config, model)  # a continued model runs at its base's rate
        if model not in self.models and "default" in self.models:
            return self.models["default"]
        if model not in self.models:
            raise ValueError(
                f"throughput table: no entry for model {model!r} on GPU {self.gpu!r}; "
                f"measure it: python -m pipeline cost --measure <model folder>"
            )
        return self.models[model]

    def mem_mb(self, model: str) -> int:
        """Host memory of one job holding ``model`` (``host_mem_mb``, else its default)."""
        table = self.host_mem_mb
        model = continued_base(self.config, model)  # a continued model: its base's size
        return int(table.get(model, table.get("default", 16000)))

    def staged_rows(self, name: str, split: str) -> int:
        """Rows of one staged split, or an error naming the data set and how to count it."""
        try:
            return int(self.rows[name][split])
        except KeyError:
            raise ValueError(
                f"cost model: no row count for data set {name!r} split {split!r}: stage it "
                f"(snakemake {self.config['results_dir']}/data/{name}) or add its published "
                f"count to {ROWS_FILE}"
            ) from None


def _read_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text())


def study_rows(config: dict[str, Any], published: str | Path | None = None) -> dict:
    """Rows per data set and split as the study stages them: the ``staged.json`` of each
    data set already under ``<results_dir>/data``, else the published full counts with the
    study's row limit and cap applied (pipeline/data/catalog.py); data sets neither staged
    nor published are left out (:meth:`Plan.staged_rows` names them)."""
    from pipeline.data.catalog import study_datasets
    from pipeline.data.stage import MANIFEST

    path = Path(published or os.environ.get(ROWS_ENV) or ROWS_FILE)
    table = (_read_yaml(path) or {}).get("datasets", {}) if path.exists() else {}
    out: dict[str, dict[str, int]] = {}
    root = Path(config["results_dir"]) / "data"
    for name, spec in study_datasets(config).items():
        manifest = root / name / MANIFEST
        if manifest.exists():
            counts = dict(_read_yaml(manifest)["rows"])
        elif name in table:
            counts = {s: int(n) for s, n in table[name].items() if s in spec["splits"]}
        else:
            continue
        for split, n in counts.items():
            for limit in (spec["splits"].get(split), spec.get("sample", {}).get(split)):
                if limit is not None:
                    n = min(n, int(limit))
            counts[split] = n
        out[name] = counts
    return out


def load_plan(
    config: dict[str, Any],
    throughput: str | Path | None = None,
    rows: str | Path | None = None,
) -> Plan:
    """The plan for ``config`` with the throughput table (default: the profile's file) and
    the staged row counts (:func:`study_rows`)."""
    path = Path(throughput or os.environ.get(THROUGHPUT_ENV) or THROUGHPUT_FILE)
    table = _read_yaml(path)
    gpu = table["gpu"]
    if gpu not in table["gpus"]:
        raise ValueError(f"{path}: gpu {gpu!r} is not one of {sorted(table['gpus'])}")
    models = {name: Throughput(**row) for name, row in table["gpus"][gpu].items()}
    snapshot = copy.deepcopy(config)
    return Plan(
        snapshot,
        gpu,
        MappingProxyType(models),
        float(table["max_runtime"]),
        float(table["margin"]),
        int(table["pack_size"]),
        MappingProxyType(study_rows(snapshot, rows)),
        MappingProxyType(dict(table.get("host_mem_mb", {}))),
        MappingProxyType(setting_of(cells(snapshot))),
        MappingProxyType(dict(table.get("first_principles", {}))),
    )


def _synthetic_size(config: dict[str, Any], task: str, max_length: int) -> TaskSize:
    """Tasks of the synthetic world (default study): its configured sizes, short texts."""
    spec = config.get("world", {}).get("tasks", {}).get(task, {})
    half = max_length / 2
    return TaskSize(
        spec.get("train", 1000), spec.get("validation", 200), Tokens(half, max_length, 1, half)
    )


def _hub_size(plan: Plan, task: str, difficulty: str, setting: str) -> TaskSize:
    """Train and evaluation rows of a hub task's cell, from the staged counts: a translation
    group reads each of its languages' pairs in every configured direction."""
    from pipeline.data.catalog import task_datasets
    from pipeline.data.staged import dataset_name

    spec = get_task(task)
    block = plan.config["settings"][setting]
    tokens = TOKENS.get(f"{task}/{difficulty}", TOKENS.get(task))
    if tokens is None:
        raise ValueError(f"cost model: no token lengths for task {task!r}; add it to TOKENS")
    datasets = task_datasets(spec, block)
    factor = 1
    if hasattr(spec, "hub_configs"):
        group = block["groups"][difficulty.partition("-")[2]]
        wanted = {"-".join(sorted((block["pivot"], x))) for x in group}
        datasets = [d for d in datasets if d["config"] in wanted]
        factor = len(block.get("directions", ["from_pivot", "to_pivot"]))
    n_train = n_eval = 0
    for d in datasets:
        name = dataset_name(d["hub_id"], d["config"])
        for split in d["splits"]:
            n = plan.staged_rows(name, split) * factor
            if split == "train":
                n_train += n
            else:
                n_eval += n
    return TaskSize(n_train, n_eval, tokens)


def task_size(plan: Plan, task: str, difficulty: str, setting: str, max_length: int) -> TaskSize:
    if get_task(task).source == "synthetic":
        return _synthetic_size(plan.config, task, max_length)
    return _hub_size(plan, task, difficulty, setting)


def _setting(plan: Plan, wildcards: Any) -> str:
    return plan.settings[(wildcards["model"], wildcards["task"], wildcards["difficulty"])]


def _generation(plan: Plan, task: str) -> tuple[int, int]:
    """(new tokens, beams) of a generation task; (0, 0) for the others."""

    spec = get_task(task)
    if spec.kind != "generation":
        return 0, 0
    return int(spec.max_new_tokens), int(getattr(spec, "num_beams", 1))


def evaluation_tokens(plan: Plan, task: str, difficulty: str, setting: str) -> tuple[float, float]:
    """(forward tokens, generated tokens x beams) of one pass over the validation rows."""
    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, setting, protocol["max_length"])
    t = size.tokens
    forward = size.n_eval * t.choices * (min(t.mean, protocol["max_length"]) + t.target)
    new_tokens, beams = _generation(plan, task)
    return forward, size.n_eval * new_tokens * beams


def evaluation_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    """One pass over the validation set: loss forward, plus generation for generation tasks."""
    forward, generated = evaluation_tokens(plan, task, difficulty, setting)
    speed = plan.speed(model)
    seconds = forward / speed.forward
    if generated:
        if speed.generate <= 0:
            raise ValueError(f"throughput table: model {model!r} needs a 'generate' rate")
        seconds += generated / speed.generate
    return seconds / 60


def training_tokens(plan: Plan, task: str, difficulty: str, setting: str) -> float:
    """Tokens one fine-tune pushes through the model (padded: random batches pad to about
    the 99th-percentile length), every epoch (or step) of the protocol."""
    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, setting, protocol["max_length"])
    axis, value = paths.split_difficulty(difficulty)
    n_train = size.n_train * (float(value) if axis == "fraction" else 1.0)
    if protocol.get("steps"):
        examples = protocol["steps"] * protocol["batch_size"]
    else:
        examples = math.ceil(n_train / protocol["batch_size"]) * protocol["batch_size"]
        examples *= protocol["epochs"]
    padded = min(size.tokens.p99, protocol["max_length"]) + size.tokens.target
    return examples * size.tokens.choices * padded


def training_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    speed = plan.speed(model)
    if speed.train <= 0:
        raise ValueError(f"throughput table: model {model!r} needs a 'train' rate")
    return training_tokens(plan, task, difficulty, setting) / speed.train / 60


def _calibration_blocks(model: str) -> int:
    """Transformer blocks of a hub model (sequential calibration re-runs the ones before)."""
    return {"vicuna_7b": 32, "roberta-base": 12, "roberta_large": 24, "mbart_cc25": 24}.get(
        model, 12
    )


def calibration_tokens(plan: Plan, model: str) -> float:
    from pipeline.compress.calibration import DEFAULTS

    spec = {**DEFAULTS, **plan.config["compression"].get("calibration", {})}
    return spec["samples"] * spec["seq_len"] * (_calibration_blocks(model) + 1) / 2


def continued_base(config: dict[str, Any], model: str) -> str:
    """The staged model a continued one starts from (the same architecture and speed); an
    instance's model (``tiny_roberta/p1``: pipeline/instances.py)."""
    model = instances.split(model)[0]
    spec = config.get("models", {}).get(model, {})
    return spec["of"] if spec.get("source") == "continued" else model


def continue_train_minutes(plan: Plan, model: str) -> float:
    """Continued training (pipeline/models/continued.py): every update reads ``update_freq``
    batches of ``max_tokens`` padded tokens a side (source and target)."""
    from pipeline.models.continued import recipe_of

    recipe = recipe_of(plan.config, model)
    tokens = recipe.steps * recipe.update_freq * recipe.max_tokens * 2
    return plan.speed(model).load_minutes + tokens / plan.speed(model).train / 60


def estimate_minutes(plan: Plan, rule: str, wildcards: Any) -> float:
    """The expected minutes of one job of ``rule`` (no margin)."""
    w = dict(wildcards)
    key = (
        rule.removesuffix("_keep_model"),
        w.get("model"),
        w.get("task"),
        w.get("difficulty"),
        w.get("method") if rule.startswith("prune") else None,
        w.get("mode"),
        w.get("budget"),
    )
    if key not in plan.memo:
        plan.memo[key] = _estimate_minutes(plan, rule, w)
    return plan.memo[key]


def _estimate_minutes(plan: Plan, rule: str, wildcards: dict[str, Any]) -> float:
    if rule in ("finetune", "finetune_keep_model"):
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        setting = _setting(plan, wildcards)
        minutes = plan.speed(model).load_minutes
        minutes += evaluation_minutes(plan, model, task, difficulty, setting)
        from pipeline.finetune.modes import MODES

        if MODES[wildcards["mode"]].trains:  # zero-shot and ptq only evaluate
            budget = paths.budget_of(wildcards.get("budget", ""))  # a larger-budget arm
            minutes += budget * training_minutes(plan, model, task, difficulty, setting)
        return minutes
    if rule == "lmc":
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        alphas = plan.config.get("lmc", {}).get("alphas", 11)
        one = evaluation_minutes(plan, model, task, difficulty, _setting(plan, wildcards))
        return 2 * plan.speed(model).load_minutes + alphas * one
    if rule == "continue_train":
        return continue_train_minutes(plan, wildcards["model"])
    if rule in ("prune", "prune_weights"):
        if not get_method(wildcards["method"]).needs_calibration:
            return 10.0  # a sort or rounding of the weights on the CPU
        model = wildcards["model"]
        return plan.speed(model).load_minutes + calibration_tokens(
            plan, continued_base(plan.config, model)
        ) / (plan.speed(model).forward * 60)
    return 10.0  # staging, the world: small CPU jobs


def _precision(plan: Plan, setting: str, task: str | None) -> str:
    """The peak a setting's jobs run at: fp16/bf16, TF32 matmuls, or plain fp32."""
    protocol = protocol_for(plan.config, setting, task)
    precision = protocol.get("precision", "fp32")
    return "tf32" if precision == "fp32" and protocol.get("tf32") else precision


def first_principles_minutes(plan: Plan, rule: str, wildcards: Any) -> float | None:
    """The same job counted from first principles, for the cost report's cross-check:
    6 x params per trained token and 2 x params per evaluated token at the table's assumed
    utilisation of the GPU's peak; generation at the larger of 2 x params per token and one
    read of every weight per decoding step (memory bandwidth). No load, no per-step
    overhead. None for a model without a parameter count, 0 for CPU jobs."""
    w = dict(wildcards)
    if "model" not in w:
        return 0.0  # no model runs (the GPU preflight)
    fp = plan.first_principles
    model = continued_base(plan.config, w.get("model", ""))  # a continued model: its base's
    params = fp.get("params", {}).get(model)
    if not fp or params is None:
        return None
    rate = fp["utilisation"] * 1e12  # x peak (TFLOP/s) below
    if rule == "continue_train":
        from pipeline.models.continued import recipe_of

        recipe = recipe_of(plan.config, w["model"])
        tokens = recipe.steps * recipe.update_freq * recipe.max_tokens * 2
        peak = fp["peak_tflops"][plan.gpu][recipe.precision]
        return 6 * params * tokens / (rate * peak) / 60
    if rule.startswith("prune"):
        if not get_method(w["method"]).needs_calibration:
            return 0.0
        setting = next(s for (m, _, _), s in plan.settings.items() if m == w["model"])
        peak = fp["peak_tflops"][plan.gpu][_precision(plan, setting, None)]
        return 2 * params * calibration_tokens(plan, w["model"]) / (rate * peak) / 60
    if rule not in ("finetune", "finetune_keep_model", "lmc"):
        return 0.0
    task, difficulty = w["task"], w["difficulty"]
    setting = _setting(plan, w)
    precision = _precision(plan, setting, task)
    peak = fp["peak_tflops"][plan.gpu][precision]
    forward, generated = evaluation_tokens(plan, task, difficulty, setting)
    seconds = 2 * params * forward / (rate * peak)
    if generated:
        protocol = protocol_for(plan.config, setting, task)
        size = task_size(plan, task, difficulty, setting, protocol["max_length"])
        new_tokens, _ = _generation(plan, task)
        steps = math.ceil(size.n_eval / protocol["eval_batch_size"]) * new_tokens
        weight_bytes = params * (2 if precision in ("fp16", "bf16") else 4)
        seconds += max(
            2 * params * generated / (rate * peak),
            steps * weight_bytes / (fp["memory_tb_s"][plan.gpu] * 1e12),
        )
    if rule == "lmc":
        return plan.config.get("lmc", {}).get("alphas", 11) * seconds / 60
    from pipeline.finetune.modes import MODES

    if MODES[w["mode"]].trains:
        trained = training_tokens(plan, task, difficulty, setting)
        trained *= paths.budget_of(w.get("budget", ""))  # a larger-budget arm
        seconds += 6 * params * trained / (rate * peak)
    return seconds / 60


def requested_minutes(plan: Plan, rule: str, wildcards: Any, attempt: int) -> int:
    """The walltime a job asks for: margin x estimate x attempt, at most ``max_runtime``;
    :class:`TooLong` when the estimate alone exceeds ``max_runtime``."""
    estimate = estimate_minutes(plan, rule, wildcards)
    if estimate > plan.max_runtime:
        cell = ", ".join(f"{k}={v}" for k, v in dict(wildcards).items())
        raise TooLong(
            f"{rule} ({cell}): estimated {estimate / 60:.1f} h on one {plan.gpu}, over the "
            f"partition's {plan.max_runtime / 60:g} h (max_runtime, slurm/throughput.yaml). "
            f"Shrink the job (e.g. settings.<setting>.max_train_rows_per_pair, epochs) or "
            f"raise max_runtime to a partition that allows it"
        )
    return int(min(plan.max_runtime, math.ceil(plan.margin * estimate * attempt) + 5))


def requested_mem_mb(plan: Plan, rule: str, wildcards: Any, attempt: int) -> int:
    """Host memory a job asks for: its model's ``host_mem_mb`` (LMC holds two models:
    1.5x), times the attempt."""
    model = dict(wildcards).get("model")
    base = plan.mem_mb(model) if model else int(plan.host_mem_mb.get("default", 16000))
    return int(base * (1.5 if rule == "lmc" else 1) * attempt)


def packable(plan: Plan, rule: str, wildcards: Any) -> bool:
    """Whether a fine-tune is short enough to share an allocation with ``pack_size - 1``
    others: a full pack still fits ``max_runtime`` on its third attempt. A run that keeps its
    model (rule finetune_keep_model) is never packed: in a pack with the runs that read it
    (ptq) it would join them into one group component, and a pack of such components could
    outgrow that budget (rules/finetune.smk)."""
    if rule == "finetune_keep_model":
        return False
    budget = plan.max_runtime / plan.pack_size
    return requested_minutes(plan, rule, wildcards, 3) <= budget


PACK_GROUP = "finetune-pack"


def pack_group(plan: Plan, rule: str, wildcards: Any) -> str | None:
    """The rule-level ``group`` of a fine-tune: the one pack group for short runs (Snakemake
    packs ``pack_size`` of them per allocation: group-components in the profile), none for
    long ones or for models the throughput table neither lists nor covers by its ``default``
    row."""
    if wildcards["model"] not in plan.models and "default" not in plan.models:
        return None
    return PACK_GROUP if packable(plan, rule, dict(wildcards.items())) else None


def job_setting(plan: Plan, rule: str, wildcards: dict[str, Any]) -> str:
    """The setting a job's GPU-hours count towards (compression and staging are shared)."""
    if {"model", "task", "difficulty"} <= wildcards.keys():
        return _setting(plan, wildcards)
    if rule == "continue_train":  # counts towards the settings whose model it is
        settings = plan.config["settings"].items()
        return next((s for s, b in settings if b["model"] == wildcards["model"]), "staging")
    return "compression" if rule.startswith("prune") else "staging"


def measure(model_dir: str | Path, device: str | None, batch_size: int, seq_len: int) -> dict:
    """Tokens/s of one model on this machine's device, in the table's three rates: random
    token batches of ``batch_size`` x ``seq_len`` (the rates do not depend on the text),
    a few warm-up steps first, the device synchronised around each timed loop."""
    import time

    import torch
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoModelForSequenceClassification,
    )
    from transformers.utils import logging

    from pipeline.device import resolve

    logging.set_verbosity_error()  # a fresh head's "newly initialized" notice is expected
    placement = resolve(device)
    config = AutoConfig.from_pretrained(str(model_dir))
    if config.is_encoder_decoder:
        auto, generates = AutoModelForSeq2SeqLM, True
    elif any(a.endswith("ForCausalLM") for a in config.architectures or []):
        auto, generates = AutoModelForCausalLM, True
    else:
        auto, generates = AutoModelForSequenceClassification, False
    model = auto.from_pretrained(str(model_dir), dtype="float32", device_map=placement.device_map)
    vocab = min(config.vocab_size, 1000)
    ids = torch.randint(5, vocab, (batch_size, seq_len), device=placement.device)
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    batch["labels"] = (
        ids if generates else torch.zeros(batch_size, dtype=torch.long, device=ids.device)
    )

    def timed(step, n: int) -> float:
        for _ in range(2):
            step()
        if placement.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(n):
            step()
        if placement.is_cuda:
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / n

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)

    def train_step() -> None:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def forward_step() -> None:
        with torch.no_grad():
            model(**batch)

    rates = {
        "train": batch_size * seq_len / timed(train_step, 5),
        "forward": batch_size * seq_len / timed(forward_step, 5),
        "generate": 0.0,
    }
    if generates:
        prompt = {"input_ids": ids[:, : max(seq_len // 4, 1)]}
        new = 32

        def generate_step() -> None:
            with torch.no_grad():
                model.generate(**prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False)

        rates["generate"] = batch_size * new / timed(generate_step, 2)
    return {k: round(v) for k, v in rates.items()}
