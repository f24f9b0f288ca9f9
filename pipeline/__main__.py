"""``python -m pipeline <verb> ...``: the command line (pipeline/cli.py), run by the warm
worker when the workflow started one (pipeline/worker), else in this process."""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    from pipeline.worker.client import run_in_worker  # the warm worker, if the run has one

    code = run_in_worker(sys.argv[1:])
    sys.exit(main() if code is None else code)
