"""Global magnitude pruning of a ~100M-parameter model: the project's vs torch's.

    python bench/bench_prune.py [--sparsity 0.5] [--repeats 3] [--threads 2]

Prints, in one run, the wall time and the peak extra memory of the project's global
magnitude pruning (``pipeline.compress.magnitude.global_magnitude_masks`` + zeroing the
pruned weights in place) as ratios against ``torch.nn.utils.prune.global_unstructured`` with
``L1Unstructured`` on the same weights, and the on-disk size of the project's bit-packed
mask against the fp32 weights it masks. Both leave the model with its pruned weights at
zero; both masks are checked equal.

The model is roberta-base sized (``RobertaConfig()`` defaults, random init, seeded): 85M
prunable weights in 72 linear layers. Each measurement runs in a fresh subprocess, so
neither implementation inherits the other's allocator state. Peak extra memory is the
process's resident-set high-water mark during pruning minus its resident set just before:
Linux's ``/proc/self/clear_refs`` (write "5") resets ``VmHWM`` to the current RSS right
before the call and ``VmHWM`` is read right after, so every allocation (torch's CPU
allocator, numpy, Python) counts, at page granularity. The median over repeats is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _build_model():
    import torch
    from transformers import RobertaConfig, RobertaModel

    torch.manual_seed(0)
    return RobertaModel(RobertaConfig()).eval()


def _project(model, sparsity: float) -> dict:
    import torch

    from pipeline.compress.magnitude import global_magnitude_masks
    from pipeline.compress.prunable import prunable_parameters

    params = prunable_parameters(model)
    masks = global_magnitude_masks(params, sparsity)
    with torch.no_grad():
        for name, param in params.items():
            param.mul_(masks[name])
    return masks


def _torch(model, sparsity: float) -> dict:
    from torch.nn.utils import prune

    from pipeline.compress.prunable import prunable_parameters

    names = list(prunable_parameters(model))
    pairs = [(model.get_submodule(n.removesuffix(".weight")), "weight") for n in names]
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=sparsity)
    return {n: module.weight_mask for n, (module, _) in zip(names, pairs, strict=True)}


def worker(impl: str, sparsity: float, threads: int, out_dir: Path) -> dict:
    """One measurement in this (fresh) process; masks are saved after the timed region."""
    import torch

    from pipeline.compress.masks import save_masks
    from pipeline.compress.prunable import prunable_parameters

    torch.set_num_threads(threads)
    model = _build_model()
    numel = sum(p.numel() for p in prunable_parameters(model).values())
    gc.collect()
    rss_before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    start = time.perf_counter()
    masks = {"project": _project, "torch": _torch}[impl](model, sparsity)
    elapsed = time.perf_counter() - start
    peak_extra = (_status_kib("VmHWM") - rss_before) * 1024
    mask_file = out_dir / f"{impl}.npz"
    save_masks(mask_file, {n: m.bool() for n, m in masks.items()})
    return {
        "time_s": elapsed,
        "peak_extra_bytes": peak_extra,
        "numel": numel,
        "mask_file": str(mask_file),
        "mask_bytes": mask_file.stat().st_size,
    }


def _measure(impl: str, sparsity: float, threads: int, out_dir: Path) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        impl,
        "--sparsity",
        str(sparsity),
        "--threads",
        str(threads),
        "--out-dir",
        str(out_dir),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=["project", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sparsity, args.threads, args.out_dir)))
        return

    import torch

    from pipeline.compress.masks import load_masks

    with tempfile.TemporaryDirectory() as tmp:
        runs: dict[str, list[dict]] = {"project": [], "torch": []}
        for _ in range(args.repeats):
            for impl in runs:
                runs[impl].append(_measure(impl, args.sparsity, args.threads, Path(tmp)))
        ours, ref = (load_masks(runs[i][-1]["mask_file"]) for i in ("project", "torch"))
        same = all(torch.equal(ours[n], ref[n]) for n in ours)
    med = {
        impl: {key: statistics.median(r[key] for r in rs) for key in ("time_s", "peak_extra_bytes")}
        for impl, rs in runs.items()
    }
    numel, mask_bytes = runs["project"][0]["numel"], runs["project"][0]["mask_bytes"]
    mib = 1 << 20
    print(
        f"global magnitude pruning, roberta-base size ({numel / 1e6:.1f}M prunable weights), "
        f"sparsity {args.sparsity}, {args.threads} threads, median of {args.repeats} "
        f"fresh processes each"
    )
    for impl, label in (("project", "project"), ("torch", "torch global_unstructured")):
        print(
            f"  {label:27s} time {med[impl]['time_s']:7.3f} s   peak extra memory "
            f"{med[impl]['peak_extra_bytes'] / mib:8.1f} MiB"
        )
    time_ratio = med["project"]["time_s"] / med["torch"]["time_s"]
    print(f"  time ratio (project / torch)        {time_ratio:.3f}   (target <= 0.5)")
    ratio = med["project"]["peak_extra_bytes"] / med["torch"]["peak_extra_bytes"]
    print(f"  peak-memory ratio (project / torch) {ratio:.3f}   (target <= 0.5)")
    print(f"  masks identical: {same}")
    print(
        f"  mask on disk {mask_bytes / mib:.2f} MiB vs fp32 weights {4 * numel / mib:.1f} MiB: "
        f"1/{4 * numel / mask_bytes:.1f}   (target <= 1/30)"
    )


if __name__ == "__main__":
    main()
