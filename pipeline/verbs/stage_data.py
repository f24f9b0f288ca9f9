"""Stage one hub data set as Parquet in its own schema (run where the internet is: the
login node); every other job reads only these files, offline."""

import argparse
import json
from pathlib import Path

HELP = "download (or copy from hub_mirror) one hub data set as Parquet"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", required=True, help="the data set's staging spec as JSON")
    p.add_argument("--out", required=True, type=Path, help="output folder")


def run(args: argparse.Namespace) -> None:
    from pipeline.data.stage import stage_dataset
    from pipeline.io import atomic_dir

    with atomic_dir(args.out) as tmp:
        manifest = stage_dataset(json.loads(args.spec), tmp)
    print(f"staged {manifest['hub_id']} ({manifest['config'] or 'default'}): {manifest['rows']}")
