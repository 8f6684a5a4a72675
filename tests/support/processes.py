"""The four services as separate operating-system processes, as `make run` starts them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.stack import ROOT, SERVICES


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], logs: Path, instance: int = 1) -> None:
        self.name, self.env = name, env
        self.label = name if instance == 1 else f"{name}-{instance}"
        self.log_path = logs / f"{self.label}.log"
        if instance > 1:  # a further process of the service: its own HTTP port, any free one
            self.env = {**env, f"{name.upper()}_HTTP_PORT": "0"}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"], cwd=ROOT,
            env={**os.environ, **self.env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
        )

    def wait_started(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b'"event": "started"' in self.log_path.read_bytes() or b'"event":"started"' in self.log_path.read_bytes():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def instances(spec: str) -> dict[str, int]:
    """`SERVICE_INSTANCES`, e.g. "settlement=2,wallet=2": how many processes of each service (default 1)."""
    counts = {name: 1 for name in SERVICES}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition("=")
        if name not in counts or not count.isdigit() or int(count) < 1:
            raise ValueError(f"SERVICE_INSTANCES: {item!r} is not <service>=<count> with a service of {SERVICES}")
        counts[name] = int(count)
    return counts


class Services:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        counts = instances(env.get("SERVICE_INSTANCES", os.environ.get("SERVICE_INSTANCES", "")))
        processes = [ServiceProcess(name, env, logs, i) for name in SERVICES for i in range(1, counts[name] + 1)]
        self.all = {p.label: p for p in processes}

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.all[name]

    def start(self) -> None:
        for p in self.all.values():
            p.start()
        try:
            for p in self.all.values():
                p.wait_started()
        except Exception:
            self.stop()  # leave no orphan process behind
            raise

    def stop(self) -> None:
        for p in self.all.values():
            p.stop()
