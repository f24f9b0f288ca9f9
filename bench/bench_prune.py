"""Global magnitude pruning of a ~100M-parameter model: the project's vs torch's.

    python bench/bench_prune.py [--sparsity 0.5] [--repeats 5] [--threads 2]

Prints, in one run, the wall time, the CPU time and the peak extra memory of the project's global
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
allocator, numpy, Python) counts, at page granularity; the median over repeats is reported.
Times are the best over repeats (the run least disturbed by other work on the machine); CPU
time (``time.process_time``, all threads) is shown beside wall time because it is far less
sensitive to other processes competing for the cores.
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
    start, start_cpu = time.perf_counter(), time.process_time()
    masks = {"project": _project, "torch": _torch}[impl](model, sparsity)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak_extra = (_status_kib("VmHWM") - rss_before) * 1024
    mask_file = out_dir / f"{impl}.npz"
    save_masks(mask_file, {n: m.bool() for n, m in masks.items()})
    return {
        "time_s": elapsed,
        "cpu_s": cpu,
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
    parser.add_argument("--repeats", type=int, default=5)
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
    best = {
        impl: {
            "time_s": min(r["time_s"] for r in rs),
            "cpu_s": min(r["cpu_s"] for r in rs),
            "peak_extra_bytes": statistics.median(r["peak_extra_bytes"] for r in rs),
        }
        for impl, rs in runs.items()
    }
    numel, mask_bytes = runs["project"][0]["numel"], runs["project"][0]["mask_bytes"]
    mib = 1 << 20
    print(
        f"global magnitude pruning, roberta-base size ({numel / 1e6:.1f}M prunable weights), "
        f"sparsity {args.sparsity}, {args.threads} threads, {args.repeats} fresh processes "
        "each (times: best of; memory: median)"
    )
    for impl, label in (("project", "project"), ("torch", "torch global_unstructured")):
        print(
            f"  {label:26s} wall {best[impl]['time_s']:7.3f} s   CPU {best[impl]['cpu_s']:7.3f} s"
            f"   peak extra memory {best[impl]['peak_extra_bytes'] / mib:7.1f} MiB"
        )
    for key, label in (
        ("time_s", "wall-time"),
        ("cpu_s", "CPU-time"),
        ("peak_extra_bytes", "peak-memory"),
    ):
        ratio = best["project"][key] / best["torch"][key]
        print(f"  {label + ' ratio (project / torch)':36s} {ratio:.3f}   (target <= 0.5)")
    print(f"  masks identical: {same}")
    print(
        f"  mask on disk {mask_bytes / mib:.2f} MiB vs fp32 weights {4 * numel / mib:.1f} MiB: "
        f"1/{4 * numel / mask_bytes:.1f}   (target <= 1/30)"
    )


if __name__ == "__main__":
    main()
