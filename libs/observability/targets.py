"""Prometheus file-based service discovery: each process announces its own metrics address.

A process whose HTTP port is chosen by the system (`<SERVICE>_HTTP_PORT=0`: a second instance, a
split consumer) knows its port only once it listens, so it writes `<dir>/<process>.json` itself, and
removes it when it stops; Prometheus (deploy/prometheus/prometheus.yml, `file_sd_configs`) re-reads
the folder within seconds. The folder is `PROMETHEUS_TARGETS_DIR` (deploy/run_services.py sets
`.stack/prometheus/targets`); unset, nothing is written (tests, docker-compose's static targets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def target_file(directory: Path, process: str) -> Path:
    return directory / f"{process}.json"


def announce(directory: Path, service: str, process: str, host: str, port: int) -> Path:
    """Write the file atomically (Prometheus may read it at any moment)."""
    directory.mkdir(parents=True, exist_ok=True)
    address = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    path = target_file(directory, process)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps([{"targets": [f"{address}:{port}"], "labels": {"service": service, "process": process}}]))
    tmp.replace(path)
    return path


def withdraw(path: Path) -> None:
    path.unlink(missing_ok=True)
