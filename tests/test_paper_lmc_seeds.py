"""Fig. 10's barrier has an interval over seeds: every LMC path of configs/paper.yaml runs at
each of the study's seeds, each path's jobs are planned and priced per seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.conftest import paper

REPO = Path(__file__).resolve().parents[1]
PAPER = paper()


def test_every_lmc_path_runs_at_every_seed():
    from pipeline.config import check_config

    check_config(PAPER)  # each cell is a sparse run the study makes at that seed
    cells = PAPER["lmc"]["cells"]
    paths = Counter(tuple(sorted((k, v) for k, v in c.items() if k != "seed")) for c in cells)
    seeds = {tuple(sorted((k, v) for k, v in c.items() if k != "seed")): set() for c in cells}
    for c in cells:
        seeds[tuple(sorted((k, v) for k, v in c.items() if k != "seed"))].add(c["seed"])
    assert len(paths) == 8  # QQP/STS-B, QNLI/RTE; two fractions of QNLI and of MNLI
    assert all(s == set(PAPER["seeds"]) for s in seeds.values()), seeds
    assert set(paths.values()) == {len(PAPER["seeds"])}


def test_the_lmc_jobs_are_planned_and_priced_per_seed():
    from pipeline import paths, study
    from pipeline.cluster import walltime
    from pipeline.cluster.plan import load_plan

    config = {**PAPER, "results_dir": "results/paper"}
    targets = study.lmc_targets(config)
    assert len(targets) == len(set(targets)) == 24
    plan = load_plan(config, REPO / "slurm/throughput.yaml")
    minutes = {}
    for target in targets:
        parts = target.split("/")
        wc = dict(zip(["model", "task", "difficulty", "compression"], parts[3:7], strict=True))
        wc["seed"] = parts[7].removeprefix("seed")
        minutes[target] = walltime.estimate_minutes(plan, "lmc", wc)
        assert minutes[target] > 0
    by_path = Counter()
    for target, m in minutes.items():
        by_path[target.rsplit("/seed", 1)[0]] += m
    assert len(by_path) == 8
    assert paths.LMC.endswith("seed{seed}/lmc.json")
