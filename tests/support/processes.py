"""The four services as separate operating-system processes, as `make run` starts them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from deploy.launch import command, processes
from tests.support.stack import ROOT


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], logs: Path, label: str | None = None) -> None:
        self.name, self.env, self.label = name, env, label or name
        self.log_path = logs / f"{self.label}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(command(self.name, env), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

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


class Services:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        started = processes({**os.environ, **env})
        self.all = {label: ServiceProcess(name, {**env, **extra}, logs, label) for label, name, extra in started}

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


def log_lines(path: Path) -> int:
    """Lines a process's log holds (read in chunks: a noisy process's log may be large)."""
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far, user and system."""
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system
