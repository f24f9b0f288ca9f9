"""Continued training of a staged mBART on translation pairs, before any pruning (paper
setting 2: "continue training mBART on language pairs from [a 10-language] subset, following
Tang et al. (2020) with default configurations of 40K iterations and Adam optimizer at a
learning rate of 1e-6").

A model entry with ``source: continued`` names the staged model it starts from (``of``) and
its recipe (``continued_training``); rule continue_train writes it as a model folder in the
hub layout (safetensors, tokenizer, ``staged.json``), so every later job reads it like any
staged model. Its ``staged.json`` is the base model's (hub id, pinned revision) plus what the
continued training did (recipe, steps, data read, losses), so every result row records it.

The recipe's defaults are Tang et al.'s public multilingual fine-tuning recipe
(fairseq ``examples/multilingual/finetune_multilingual_model.sh``, which the authors' own
scripts copy): Adam betas (0.9, 0.98), eps 1e-6, inverse-sqrt schedule with 2,500 warm-up
updates, label smoothing 0.2, dropout 0.3, attention dropout 0.1, no weight decay, 1,024
tokens per batch with 2 accumulated batches per update, temperature sampling (T = 1.5) over
the translation directions, the source language's code on the source, the target's on the
target (mBART's own convention). docs/paper-map.md says where each value comes from.

Batching by a token budget (fairseq's ``--max-tokens``) and temperature sampling over
directions are written here: transformers' Trainer has neither.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.data.stage import MANIFEST as DATA_MANIFEST
from pipeline.data.staged import dataset_name, read_staged
from pipeline.io import read_json, write_json
from pipeline.keys import check_known

CONTINUED = "continued"  # the model source this module builds
OPUS100 = "Helsinki-NLP/opus-100"
# mBART-cc25's 25 language codes (its tokenizer's lang_code_to_id), by ISO code.
CC25_LANGUAGES = (
    "ar_AR", "cs_CZ", "de_DE", "en_XX", "es_XX", "et_EE", "fi_FI", "fr_XX", "gu_IN", "hi_IN",
    "it_IT", "ja_XX", "kk_KZ", "ko_KR", "lt_LT", "lv_LV", "my_MM", "ne_NP", "nl_XX", "ro_RO",
    "ru_RU", "si_LK", "tr_TR", "vi_VN", "zh_CN",
)  # fmt: skip
CC25_CODES = {c.partition("_")[0]: c for c in CC25_LANGUAGES}


@dataclass(frozen=True)
class Recipe:
    """The continued-training recipe (config ``models.<name>.continued_training``)."""

    languages: tuple[str, ...]  # each is paired with the pivot, both directions
    pivot: str = "en"
    dataset: str = OPUS100  # hub data set of <pivot>-<x> pairs (its train split)
    steps: int = 40_000  # optimizer updates (the paper's "40K iterations")
    lr: float = 1.0e-6  # the paper's text (the public recipe's --lr is 3e-5)
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1.0e-6
    weight_decay: float = 0.0
    warmup_steps: int = 2_500
    max_tokens: int = 1_024  # padded tokens of one batch (source or target, the longer)
    update_freq: int = 2  # batches accumulated per update
    label_smoothing: float = 0.2
    dropout: float = 0.3
    attention_dropout: float = 0.1
    sampling_temperature: float = 1.5
    max_length: int = 256  # tokens per sentence, after truncation
    max_rows: int | None = None  # sentence pairs read per language (None: all)
    seed: int = 222
    precision: str = "fp16"

    @classmethod
    def from_spec(cls, spec: dict[str, Any], key: str) -> Recipe:
        """From a config entry; ``key`` names it in errors."""
        check_known(spec, (f.name for f in fields(cls)), f"config key '{key}'")
        values = {**spec, "languages": tuple(spec.get("languages", ()))}
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        recipe = cls(**values)
        missing = [x for x in (recipe.pivot, *recipe.languages) if x not in CC25_CODES]
        if not recipe.languages or missing:
            raise ValueError(
                f"config key '{key}.languages': {list(recipe.languages)} must be a non-empty "
                f"list of mBART-cc25 languages (pivot {recipe.pivot!r}); not in cc25: "
                f"{missing}; allowed: {sorted(CC25_CODES)}"
            )
        return recipe

    def hub_configs(self) -> list[str]:
        """The data set's configs (``en-fr``: pair names in sorted order, as OPUS-100's)."""
        return ["-".join(sorted((self.pivot, x))) for x in self.languages]


def recipe_of(config: dict[str, Any], name: str) -> Recipe:
    return Recipe.from_spec(
        config["models"][name].get("continued_training", {}),
        f"models.{name}.continued_training",
    )


def continued_models(config: dict[str, Any]) -> list[str]:
    return [n for n, s in config["models"].items() if s["source"] == CONTINUED]


def datasets(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Staging entries (hub id, config, splits, sample) of the parallel data every continued
    model reads: the train split of each pivot-X pair (``max_rows`` of it when set), sampled
    to the study's per-pair cap (``max_train_rows_per_pair``) like setting 2's fine-tuning
    data, so that the pairs both read are staged once, capped, and no job reads more rows
    than the cost model priced."""
    caps = [b.get("max_train_rows_per_pair") for b in config["settings"].values()]
    cap = max((c for c in caps if c is not None), default=None)
    sample = {"train": int(cap)} if cap is not None else {}
    out = []
    for name in continued_models(config):
        recipe = recipe_of(config, name)
        for pair in recipe.hub_configs():
            out.append({"hub_id": recipe.dataset, "config": pair,
                        "splits": {"train": recipe.max_rows}, "sample": dict(sample)})  # fmt: skip
    return out


def data_dirs(config: dict[str, Any], name: str) -> list[str]:
    """The staged folders rule continue_train reads for model ``name``."""
    recipe = recipe_of(config, name)
    root = f"{config['results_dir']}/data"
    return [f"{root}/{dataset_name(recipe.dataset, c)}" for c in recipe.hub_configs()]


@dataclass(frozen=True)
class _Directions:
    """The few task attributes the seq2seq tokenization reads (pipeline/finetune/adapters)."""

    name: str = "continued_training"

    def language_codes(self, row: dict[str, Any]) -> tuple[str, str]:
        return CC25_CODES[row["src"]], CC25_CODES[row["tgt"]]

    def source_target(self, row: dict[str, Any]) -> tuple[str, str]:
        return row["translation"][row["src"]], row["translation"][row["tgt"]]


def _directions(recipe: Recipe, data_dir: Path) -> dict[tuple[str, str], list[dict]]:
    """(src, tgt) -> directed rows, both directions of every pivot-X pair."""
    out = {}
    for x, pair in zip(recipe.languages, recipe.hub_configs(), strict=True):
        rows = read_staged(data_dir, recipe.dataset, pair, "train")[: recipe.max_rows]
        if not rows:
            raise ValueError(f"continued training: no train rows in {recipe.dataset} {pair}")
        for src, tgt in ((recipe.pivot, x), (x, recipe.pivot)):
            out[(src, tgt)] = [
                {"translation": r["translation"], "src": src, "tgt": tgt} for r in rows
            ]
    return out


def sampling_probabilities(sizes: list[int], temperature: float) -> list[float]:
    """Temperature sampling over directions: p_i proportional to n_i ** (1 / T) (T = 1:
    proportional to size; larger T flattens towards uniform)."""
    weights = [n ** (1.0 / temperature) for n in sizes]
    return [w / sum(weights) for w in weights]


def _batch(rng: Any, pools: list[list[dict]], probs: list[float], max_tokens: int) -> list[dict]:
    """Examples drawn from the direction mixture until one more would exceed the token
    budget (padded length x batch size, the longer of source and target); at least one."""
    batch: list[dict] = []
    longest = 0
    while True:
        pool = pools[rng.choice(len(pools), p=probs)]
        example = pool[rng.integers(len(pool))]
        length = max(len(example["input_ids"]), len(example["labels"]))
        if batch and max(longest, length) * (len(batch) + 1) > max_tokens:
            return batch
        batch.append(example)
        longest = max(longest, length)


def _collate(batch: list[dict], pad_id: int, device: Any) -> dict[str, Any]:
    import torch

    def padded(key: str, value: int) -> Any:
        width = max(len(e[key]) for e in batch)
        return torch.tensor([e[key] + [value] * (width - len(e[key])) for e in batch])

    ids = padded("input_ids", pad_id)
    return {
        "input_ids": ids.to(device),
        "attention_mask": (ids != pad_id).long().to(device),
        "labels": padded("labels", -100).to(device),
    }


def _copy_tokenizer(model_dir: Path, out_dir: Path) -> None:
    """The base folder's tokenizer files, as staged (re-saving a fast tokenizer may drop
    the sentencepiece model): everything but weights, model config and manifest."""
    import shutil

    skip = ("config.json", "generation_config.json", "staged.json")
    for path in Path(model_dir).iterdir():
        weights = path.suffix in (".bin", ".safetensors") or path.name.endswith(".index.json")
        if path.is_file() and not weights and path.name not in skip:
            shutil.copy2(path, Path(out_dir) / path.name)


def continue_train(
    model_dir: Path, data_dir: Path, recipe: Recipe, out_dir: Path, device: str, of: str
) -> dict[str, Any]:
    """Train the model in ``model_dir`` on the recipe's pairs; save it to ``out_dir`` with
    its record (returned). ``of`` is the base model's config name."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, get_inverse_sqrt_schedule

    from pipeline.finetune.adapters.seq2seq import tokenize_by_direction
    from pipeline.staging.hub import MANIFEST, staged_manifest

    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSeq2SeqLM.from_pretrained(
        str(model_dir), dropout=recipe.dropout, attention_dropout=recipe.attention_dropout
    ).to(device)
    model.train()
    directed = _directions(recipe, data_dir)
    names = [f"{s}-{t}" for s, t in directed]
    pools = [
        tokenize_by_direction(tokenizer, _Directions(), rows, recipe.max_length, True)
        for rows in directed.values()
    ]
    probs = sampling_probabilities([len(p) for p in pools], recipe.sampling_temperature)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=recipe.lr, betas=recipe.betas, eps=recipe.eps,
        weight_decay=recipe.weight_decay,
    )  # fmt: skip
    schedule = get_inverse_sqrt_schedule(optimizer, num_warmup_steps=recipe.warmup_steps)
    fp16 = recipe.precision == "fp16" and device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=fp16)
    started, losses, tokens = time.time(), [], 0
    for step in range(recipe.steps):
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for _ in range(recipe.update_freq):
            batch = _collate(_batch(rng, pools, probs, recipe.max_tokens),
                             tokenizer.pad_token_id, device)  # fmt: skip
            labels = batch.pop("labels")
            # The decoder's inputs by mBART's own right shift (the target's language code
            # first); without labels the model computes no loss of its own.
            batch["decoder_input_ids"] = model.prepare_decoder_input_ids_from_labels(labels=labels)
            with torch.autocast("cuda", dtype=torch.float16, enabled=fp16):
                logits = model(**batch).logits
            loss = F.cross_entropy(
                logits.float().view(-1, logits.size(-1)), labels.view(-1),
                ignore_index=-100, label_smoothing=recipe.label_smoothing,
            )  # fmt: skip
            scaler.scale(loss / recipe.update_freq).backward()
            step_loss += float(loss.detach()) / recipe.update_freq
            tokens += int((labels != -100).sum())
        scaler.step(optimizer)
        scaler.update()
        schedule.step()
        losses.append(step_loss)
        if step % 100 == 0 or step == recipe.steps - 1:
            print(f"step {step + 1}/{recipe.steps} loss {step_loss:.4f}", flush=True)
    window = max(1, min(100, recipe.steps // 4))
    model.save_pretrained(str(out_dir), safe_serialization=True)
    _copy_tokenizer(model_dir, out_dir)
    record = {
        "of": of,
        "recipe": asdict(recipe),
        "steps": recipe.steps,
        "target_tokens": tokens,
        # Mean training loss over the first and the last updates (a quarter, at most 100).
        "loss_first": float(np.mean(losses[:window])),
        "loss_last": float(np.mean(losses[-window:])),
        "directions": dict(zip(names, (len(p) for p in pools), strict=True)),
        "sampling": dict(zip(names, probs, strict=True)),
        "data": {
            dataset_name(recipe.dataset, c): read_json(
                Path(data_dir) / dataset_name(recipe.dataset, c) / DATA_MANIFEST
            ).get("revision")
            for c in recipe.hub_configs()
        },
        "seconds": round(time.time() - started, 1),
        "device": device,
    }
    base = staged_manifest(model_dir) or {}
    write_json(Path(out_dir) / MANIFEST, {**base, "continued_training": record})
    return record
