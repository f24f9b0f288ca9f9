"""How long each job of a study takes on the cluster's GPU, from the work it does.

A job's minutes = the tokens it pushes through the model / the model's throughput on the
GPU (the profile's ``throughput.yaml``), plus the model's load time:

- fine-tune: train examples (x data fraction) x epochs x padded tokens per example (random
  batches pad to about the 99th-percentile length, capped at max_length) at the ``train``
  rate; then one evaluation pass;
- evaluation (every fine-tune and zero-shot run): validation examples x mean tokens
  (length-sorted batches pad little) at the ``forward`` rate, plus, for generation tasks,
  validation examples x new tokens x beams at the ``generate`` rate;
- LMC: alphas x one evaluation pass, plus loading two models;
- Wanda/SparseGPT: calibration samples x tokens x (blocks + 1) / 2 forward passes (block by
  block, pipeline/compress/sequential.py); the data-free methods run on the CPU.

The requested walltime is ``margin x estimate x attempt``, capped at ``max_runtime`` (a
capped job that is killed resumes from its wall-time checkpoint on the next attempt).
Task sizes are the data sets' published split sizes; token lengths are measured means and
99th percentiles under each model's tokenizer (RoBERTa BPE for GLUE, Llama's for TriviaQA);
OPUS-100 pivot pairs are an assumption (see OPUS100), to replace with the staged counts.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.compress.registry import get_method
from pipeline.resolve import protocol_for
from pipeline.study import cells, setting_of
from pipeline.tasks.registry import get_task

THROUGHPUT_FILE = Path(__file__).resolve().parents[1] / "slurm" / "throughput.yaml"
THROUGHPUT_ENV = "JUNKDNA_THROUGHPUT"
DEFAULT_CONFIG = Path("configs") / "paper.yaml"


@dataclass(frozen=True)
class TaskSize:
    n_train: int
    n_eval: int
    mean_tokens: float  # one example (all its segments; per choice for multiple choice)
    p99_tokens: float
    choices: int = 1  # multiple choice: every choice is a sequence
    target_tokens: float = 0.0  # generation: teacher-forced target (training, loss)


# GLUE (validation; MNLI validation_matched), WinoGrande-xl, CommonsenseQA, TriviaQA rc
# (the first 2000 validation questions; open book: evidence cut at 3072 characters).
HUB_TASKS = {
    "sst2": TaskSize(67_349, 872, 13, 55),
    "cola": TaskSize(8_551, 1_043, 11, 34),
    "qqp": TaskSize(363_846, 40_430, 30, 96),
    "stsb": TaskSize(5_749, 1_500, 31, 82),
    "qnli": TaskSize(104_743, 5_463, 51, 150),
    "rte": TaskSize(2_490, 277, 70, 250),
    "mnli": TaskSize(392_702, 9_815, 40, 105),
    "winogrande": TaskSize(40_398, 1_267, 30, 50, choices=2),
    "csqa": TaskSize(9_741, 1_221, 25, 45, choices=5),
    "triviaqa/book-open": TaskSize(0, 2_000, 820, 900, target_tokens=8),
    "triviaqa/book-closed": TaskSize(0, 2_000, 40, 70, target_tokens=8),
    # SVAMP (train 700 / test 300) and MAWPS (Calc-mawps; sizes an ASSUMPTION until the
    # staged data are counted): a short problem, an equation of ~12 tokens generated.
    "svamp": TaskSize(700, 300, 45, 90, target_tokens=12),
    "mawps": TaskSize(1_100, 520, 35, 80, target_tokens=12),
}
# OPUS-100 pairs pivoted through English (both directions): an ASSUMPTION until the staged
# data are counted -- 50k majority (ru/vi: 1M English pairs each) and 10k minority pairs
# (gu 318k, my 25k English pairs), 2000 validation pairs, 30 tokens a side.
OPUS100 = {
    "lang-majority": TaskSize(100_000, 2_000, 30, 90, target_tokens=30),
    "lang-minority": TaskSize(20_000, 2_000, 30, 90, target_tokens=30),
}


@dataclass(frozen=True)
class Throughput:
    train: float
    forward: float
    generate: float
    load_minutes: float


@dataclass(frozen=True)
class Plan:
    """A study's config and the cluster's throughput table: everything an estimate needs."""

    config: dict[str, Any]
    gpu: str
    models: dict[str, Throughput]
    max_runtime: float
    margin: float
    pack_size: int

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


def load_plan(config: dict[str, Any], throughput: str | Path | None = None) -> Plan:
    """The plan for ``config`` with the throughput table (default: the profile's file)."""
    import yaml

    path = Path(throughput or os.environ.get(THROUGHPUT_ENV) or THROUGHPUT_FILE)
    table = yaml.safe_load(path.read_text())
    gpu = table["gpu"]
    if gpu not in table["gpus"]:
        raise ValueError(f"{path}: gpu {gpu!r} is not one of {sorted(table['gpus'])}")
    models = {name: Throughput(**row) for name, row in table["gpus"][gpu].items()}
    return Plan(
        config,
        gpu,
        models,
        float(table["max_runtime"]),
        float(table["margin"]),
        int(table["pack_size"]),
    )


def _synthetic_size(config: dict[str, Any], task: str, max_length: int) -> TaskSize:
    """Tasks of the synthetic world (default study): its configured sizes, short texts."""
    spec = config.get("world", {}).get("tasks", {}).get(task, {})
    half = max_length / 2
    return TaskSize(spec.get("train", 1000), spec.get("validation", 200), half, max_length, 1, half)


def task_size(plan: Plan, task: str, difficulty: str, max_length: int) -> TaskSize:
    if task == "opus100":
        return OPUS100[difficulty]
    key = f"{task}/{difficulty}" if f"{task}/{difficulty}" in HUB_TASKS else task
    if key in HUB_TASKS:
        return HUB_TASKS[key]
    if get_task(task).source == "synthetic":
        return _synthetic_size(plan.config, task, max_length)
    raise ValueError(f"cost model: no data size for task {task!r}; add it to HUB_TASKS")


_SETTINGS: dict[int, dict[tuple[str, str, str], str]] = {}


def _setting(plan: Plan, wildcards: Any) -> str:
    lookup = _SETTINGS.get(id(plan.config))
    if lookup is None:
        lookup = _SETTINGS[id(plan.config)] = setting_of(cells(plan.config))
    return lookup[(wildcards["model"], wildcards["task"], wildcards["difficulty"])]


def _generation(plan: Plan, task: str) -> tuple[int, int]:
    """(new tokens, beams) of a generation task; (0, 0) for the others."""

    spec = get_task(task)
    if spec.kind != "generation":
        return 0, 0
    return int(spec.max_new_tokens), int(getattr(spec, "num_beams", 1))


def evaluation_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    """One pass over the validation set: loss forward, plus generation for generation tasks."""

    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, protocol["max_length"])
    speed = plan.speed(model)
    tokens = (
        size.n_eval
        * size.choices
        * (min(size.mean_tokens, protocol["max_length"]) + size.target_tokens)
    )
    seconds = tokens / speed.forward
    new_tokens, beams = _generation(plan, task)
    if new_tokens:
        if speed.generate <= 0:
            raise ValueError(f"throughput table: model {model!r} needs a 'generate' rate")
        seconds += size.n_eval * new_tokens * beams / speed.generate
    return seconds / 60


def training_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, protocol["max_length"])
    axis, value = paths.split_difficulty(difficulty)
    n_train = size.n_train * (float(value) if axis == "fraction" else 1.0)
    if protocol.get("steps"):
        examples = protocol["steps"] * protocol["batch_size"]
    else:
        examples = math.ceil(n_train / protocol["batch_size"]) * protocol["batch_size"]
        examples *= protocol["epochs"]
    padded = min(size.p99_tokens, protocol["max_length"]) + size.target_tokens
    speed = plan.speed(model)
    if speed.train <= 0:
        raise ValueError(f"throughput table: model {model!r} needs a 'train' rate")
    return examples * size.choices * padded / speed.train / 60


def _calibration_blocks(model: str) -> int:
    """Transformer blocks of a hub model (sequential calibration re-runs the ones before)."""
    return {"vicuna_7b": 32, "roberta-base": 12, "roberta_large": 24, "mbart_cc25": 24}.get(
        model, 12
    )


def continued_base(config: dict[str, Any], model: str) -> str:
    """The staged model a continued one starts from (the same architecture and speed)."""
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
    if rule in ("finetune", "finetune_keep_model"):
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        setting = _setting(plan, wildcards)
        minutes = plan.speed(model).load_minutes
        minutes += evaluation_minutes(plan, model, task, difficulty, setting)
        from pipeline.finetune.modes import MODES

        if MODES[wildcards["mode"]].trains:  # zero-shot and ptq only evaluate
            minutes += training_minutes(plan, model, task, difficulty, setting)
        return minutes
    if rule == "lmc":
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        alphas = plan.config.get("lmc", {}).get("alphas", 11)
        one = evaluation_minutes(plan, model, task, difficulty, _setting(plan, wildcards))
        return 2 * plan.speed(model).load_minutes + alphas * one
    if rule == "continue_train":
        return continue_train_minutes(plan, wildcards["model"])
    if rule in ("prune", "prune_weights"):
        method = wildcards["method"]
        if not get_method(method).needs_calibration:
            return 10.0  # a sort or rounding of the weights on the CPU
        from pipeline.compress.calibration import DEFAULTS

        spec = {**DEFAULTS, **plan.config["compression"].get("calibration", {})}
        model = wildcards["model"]
        passes = (_calibration_blocks(continued_base(plan.config, model)) + 1) / 2
        tokens = spec["samples"] * spec["seq_len"] * passes
        return plan.speed(model).load_minutes + tokens / plan.speed(model).forward / 60
    return 10.0  # staging, the world: small CPU jobs


def requested_minutes(plan: Plan, rule: str, wildcards: Any, attempt: int) -> int:
    """The walltime a job asks for: margin x estimate x attempt, at most ``max_runtime``."""
    estimate = estimate_minutes(plan, rule, wildcards)
    return int(min(plan.max_runtime, math.ceil(plan.margin * estimate * attempt) + 5))


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
_PLANS: dict[int, Plan] = {}


def pack_group(config: dict[str, Any], rule: str, wildcards: Any) -> str | None:
    """The rule-level ``group`` of a fine-tune: the one pack group for short runs (Snakemake
    packs ``pack_size`` of them per allocation: group-components in the profile), none for
    long ones or for models the throughput table neither lists nor covers by its ``default``
    row."""
    plan = _PLANS.get(id(config))
    if plan is None:
        plan = _PLANS[id(config)] = load_plan(config)
    if wildcards["model"] not in plan.models and "default" not in plan.models:
        return None
    return PACK_GROUP if packable(plan, rule, dict(wildcards.items())) else None


def _config_from_argv(argv: list[str]) -> Path:
    """The --configfile a running Snakemake was given (the profile names the paper's)."""
    for flag in ("--configfile", "--configfiles"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            return Path(argv[argv.index(flag) + 1])
    return DEFAULT_CONFIG


@lru_cache(maxsize=1)
def profile_plan() -> Plan:
    """The plan of the running Snakemake (its --configfile, the profile's throughput table);
    the SLURM profile's resource expressions call :func:`minutes` with it."""
    import yaml

    config = yaml.safe_load(_config_from_argv(sys.argv).read_text())
    return load_plan(config)


def minutes(rule: str, wildcards: Any, attempt: int) -> int:
    """The profile's ``runtime`` of a job (sbatch --time), from the cost model."""
    return requested_minutes(profile_plan(), rule, dict(wildcards.items()), attempt)


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
