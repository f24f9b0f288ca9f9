"""Messages between a client and the worker: one JSON object per packet of a Unix
SOCK_SEQPACKET socket (the kernel keeps message boundaries and reports a closed peer as an
empty read), with file descriptors passed alongside (SCM_RIGHTS). Standard library only:
the client imports it before anything heavy."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from typing import Any

MAX_MESSAGE = 1 << 20  # a request carries argv (JSON protocols) and the environment
MAX_FDS = 3  # stdin, stdout, stderr


def connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def listen(path: str, backlog: int = 64) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(path)
    sock.listen(backlog)
    return sock


def send(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def receive(sock: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """The next message and the descriptors that came with it; None once the peer is gone."""
    try:
        data, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
    except ConnectionResetError:
        return None
    if not data or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        for fd in fds:
            os.close(fd)
        return None
    return json.loads(data), fds
