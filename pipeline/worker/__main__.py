"""``python -m pipeline.worker --listen-fd N --parent PID``: serve jobs on an inherited,
already listening socket (lifecycle.start binds it, so no job can find the path unbound)."""

from __future__ import annotations

import argparse
import socket

from pipeline.worker.server import Worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.worker", description=__doc__)
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True, help="stop when this pid is gone")
    parser.add_argument("--idle-s", type=float, default=300.0)
    args = parser.parse_args()
    listener = socket.socket(fileno=args.listen_fd)
    Worker(listener, args.parent, args.idle_s).serve()


if __name__ == "__main__":
    main()
