"""Generate the synthetic world: corpus, knowledge base, lexicon and task splits."""

import argparse
import json
from pathlib import Path

HELP = "generate the synthetic world of the default study"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default="{}", help="world parameters as JSON (config key 'world')")
    p.add_argument("--out", required=True, type=Path, help="output folder")


def run(args: argparse.Namespace) -> None:
    from pipeline.world import build_world

    build_world(json.loads(args.params), args.out)
