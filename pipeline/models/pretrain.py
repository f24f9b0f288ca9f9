"""Pre-train a tiny model on the synthetic corpus so it holds knowledge pruning can remove."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from pipeline.io import read_json, read_jsonl, write_json
from pipeline.models.architectures import ARCHITECTURES


def world_words(world_dir: Path, extra_corpora: tuple[str, ...] = ()) -> list[str]:
    """The lexicon of every language plus the prompt-template words and language tags, and
    the words of each extra corpus (a world sub-folder with its own lexicon.json)."""
    lexicons = [world_dir] + [world_dir / name for name in extra_corpora]
    extra = read_json(world_dir / "world.json")["extra_words"]
    return [
        word
        for folder in lexicons
        for words in read_json(folder / "lexicon.json").values()
        for word in words.values()
    ] + extra


def corpus_rows(world_dir: Path, extra_corpora: tuple[str, ...] = ()) -> list[dict]:
    """The world's corpus, then each extra corpus (``pretrain.extra_corpora``: e.g. the
    book of setting 3, pipeline/world/book.py, read by the decoder only)."""
    folders = [world_dir] + [world_dir / name for name in extra_corpora]
    return [row for folder in folders for row in read_jsonl(folder / "corpus.jsonl")]


def init_model(
    world_dir: Path,
    arch_name: str,
    size: dict[str, Any],
    max_length: int,
    out_dir: Path,
    seed: int,
    extra_corpora: tuple[str, ...] = (),
):
    """Build the tokenizer and a randomly initialised model of ``arch_name``."""
    import torch
    import transformers

    from pipeline.models.tokenizer import build_word_tokenizer

    arch = ARCHITECTURES[arch_name]
    tokenizer = build_word_tokenizer(world_words(world_dir, extra_corpora), out_dir)
    config = arch.make_config(
        len(tokenizer),
        tokenizer.pad_token_id,
        tokenizer.bos_token_id,
        tokenizer.eos_token_id,
        max_length,
        size,
    )
    torch.manual_seed(seed)
    model = getattr(transformers, arch.pretrain_class)(config)
    return tokenizer, model


def pretrain(
    world_dir: Path,
    arch_name: str,
    size: dict[str, Any],
    params: dict[str, Any],
    out_dir: Path,
    progress: bool = True,
) -> dict[str, Any]:
    """Pre-train on the world's corpus with the architecture's objective; saves model +
    tokenizer in ``out_dir`` (loadable with ``from_pretrained``)."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    from pipeline.models.objectives import OBJECTIVES

    arch = ARCHITECTURES[arch_name]
    objective = OBJECTIVES[arch.objective]
    torch.manual_seed(params["seed"])
    extra = tuple(params.get("extra_corpora", ()))
    tokenizer, model = init_model(
        world_dir, arch_name, size, params["max_length"], out_dir, params["seed"], extra
    )
    examples = objective.examples(tokenizer, corpus_rows(world_dir, extra), params["max_length"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=params["lr"], weight_decay=0.01)
    steps = params["steps"]
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(0.06 * steps), steps)
    generator = torch.Generator().manual_seed(params["seed"])
    model.train()
    losses, start = [], time.time()
    bar = tqdm(
        range(steps),
        desc=f"pretrain {arch_name} ({arch.objective})",
        disable=not progress,
        mininterval=2,
    )
    options = {k: params[k] for k in objective.options if k in params}
    for _ in bar:
        batch_idx = torch.randint(len(examples), (params["batch_size"],), generator=generator)
        loss = objective.loss(
            model, tokenizer, [examples[i] for i in batch_idx.tolist()], **options
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}", refresh=False)
    model.save_pretrained(str(out_dir))
    report = {
        "arch": arch_name,
        "objective": arch.objective,
        "size": size,
        "params": params,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "final_loss": sum(losses[-50:]) / len(losses[-50:]),
        "wall_time_s": time.time() - start,
    }
    write_json(Path(out_dir) / "pretrain.json", report)
    return report
