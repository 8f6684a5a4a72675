"""Waiting for processes to be ready, from outside: each announced its address in the targets folder
(libs/observability/targets.py); its `/ready` answers 200 once it is. Used by `make run`
(deploy/run_services.py) and the tests."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from libs.observability.targets import target_file


def address(directory: Path, process: str) -> str | None:
    """`host:port` of a process's metrics, from its targets file (None until it wrote it)."""
    try:
        return str(json.loads(target_file(directory, process).read_text())[0]["targets"][0])
    except (OSError, ValueError, LookupError):
        return None


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def is_ready(addr: str) -> bool:
    return get(f"http://{addr}/ready")[0] == 200


def wait_ready(directory: Path, processes: Iterable[str], timeout: float = 120.0,
               failed: Callable[[], str | None] = lambda: None, poll: float = 0.25) -> dict[str, str]:
    """Wait until every process announced itself and answers `/ready` with 200; its address by name.
    `failed` is asked in between: a message (a process exited) ends the wait with RuntimeError."""
    waiting, ready = set(processes), {}
    deadline = time.monotonic() + timeout
    while waiting:
        for process in sorted(waiting):
            addr = address(directory, process)
            if addr is not None and is_ready(addr):
                ready[process] = addr
                waiting.discard(process)
        if not waiting:
            break
        problem = failed()
        if problem:
            raise RuntimeError(problem)
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout:g}s: {', '.join(sorted(waiting))}")
        time.sleep(poll)
    return ready


def main(argv: list[str] | None = None) -> int:
    """`python -m libs.observability.probe URL`: exit 0 if URL answers 200 (docker-compose healthchecks)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m libs.observability.probe http://127.0.0.1:8102/ready", file=sys.stderr)
        return 2
    status, _ = get(args[0])
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
