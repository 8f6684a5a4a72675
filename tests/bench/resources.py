"""CPU and memory of each part of the stack, sampled with psutil while the benchmark runs.

Parts: each service process, Kafka (the broker's JVM), PostgreSQL (the server's own processes plus
the backends connected to this run's databases, recognised by their process title), the load
generator (this process), and everything else on the machine (other work makes a run noisy; it is
reported so a reader can tell). CPU is a share of one core (100 = one core busy). Memory is the
resident set (RSS) for single processes; for Postgres it is the proportional set size (PSS) summed
over its processes, since they share the buffer pool and a sum of RSS would count it many times.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import psutil

MB = 1024 * 1024


@dataclass
class Window:
    """What was used between two marks: CPU seconds per part and the peak memory per part."""

    seconds: float
    cpu_seconds: dict[str, float]
    peak_mb: dict[str, float]
    machine_cpu_seconds: float

    def cpu_percent(self) -> dict[str, float]:
        used = {k: round(v / self.seconds * 100, 1) for k, v in self.cpu_seconds.items()}
        used["other processes"] = round(max(0.0, self.machine_cpu_seconds - sum(self.cpu_seconds.values()))
                                        / self.seconds * 100, 1)
        return used

    def as_dict(self) -> dict[str, object]:
        return {"seconds": round(self.seconds, 1), "cpu_percent_of_one_core": self.cpu_percent(),
                "machine_cpu_percent": round(self.machine_cpu_seconds / self.seconds * 100, 1),
                "peak_memory_mb": {k: round(v, 1) for k, v in self.peak_mb.items()}}


@dataclass
class Sampler:
    services: dict[str, int]  # name -> pid
    db_prefix: str
    kafka_port: int
    pg_port: int
    interval: float = 2.0
    pss_every: int = 5  # Postgres's PSS (smaps_rollup of every backend, 1 GB of shared buffers mapped)
    # costs the sampler a tenth of a second: read it every fifth sample and at the end of each phase
    _samples: int = 0
    _peaks: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _task: asyncio.Task[None] | None = None
    _servers: dict[int, list[psutil.Process]] = field(default_factory=dict)
    _seen: dict[str, dict[int, float]] = field(default_factory=dict)  # part -> pid -> CPU seconds
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _server(self, port: int) -> list[psutil.Process]:
        """The process listening on `port`, looked up once (scanning every socket is not cheap)."""
        if not self._servers.get(port):
            self._servers[port] = _listening_on(port)
        return self._servers[port]

    def parts(self) -> dict[str, list[psutil.Process]]:
        found: dict[str, list[psutil.Process]] = {name: [] for name in self.services}
        found.update({"kafka": [], "postgres": [], "load generator": [psutil.Process()]})
        for name, pid in self.services.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                found[name].append(psutil.Process(pid))
        # This run's broker and server only: another stack may be running on other ports.
        found["kafka"] += self._server(self.kafka_port)
        for postmaster in self._server(self.pg_port):
            found["postgres"].append(postmaster)
            for child in _children(postmaster):
                if _ours(" ".join(_cmdline(child)), self.db_prefix):
                    found["postgres"].append(child)
        return found

    def cpu_seconds(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of each process of each part, by pid, including processes seen earlier
        that have ended since (at their last sample): asyncpg replaces a pool connection after 50,000
        queries, and the ended backend's CPU must not vanish from the window."""
        with self._lock:  # also called from the sampling thread
            for part, procs in self.parts().items():
                seen = self._seen.setdefault(part, {})
                for p in procs:
                    seen[p.pid] = max(seen.get(p.pid, 0.0), _cpu(p))
            return {part: dict(seen) for part, seen in self._seen.items()}

    def sample_memory(self, pss: bool = True) -> None:
        for part, procs in self.parts().items():
            if part == "postgres" and not pss:
                continue
            total = 0.0
            for p in procs:
                try:
                    info = p.memory_full_info() if part == "postgres" else p.memory_info()
                    total += (info.pss if part == "postgres" else info.rss) / MB
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self._peaks[part] = max(self._peaks[part], total)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            self._samples += 1
            await asyncio.to_thread(self.sample_memory, self._samples % self.pss_every == 0)
            await asyncio.to_thread(self.cpu_seconds)  # so an ending process's time is kept
            await asyncio.sleep(self.interval)

    def mark(self) -> tuple[float, dict[str, dict[int, float]], float]:
        self._peaks.clear()
        return time.monotonic(), self.cpu_seconds(), _machine_cpu()

    def since(self, mark: tuple[float, dict[str, dict[int, float]], float]) -> Window:
        started, before, machine_before = mark
        self.sample_memory()
        after = self.cpu_seconds()
        # Per process: one that started since counts whole; one that ended counts up to its last sample.
        used = {part: sum(max(0.0, t - before.get(part, {}).get(pid, 0.0)) for pid, t in procs.items())
                for part, procs in after.items()}
        return Window(time.monotonic() - started, used, dict(self._peaks), _machine_cpu() - machine_before)


def _ours(cmdline: str, db_prefix: str) -> bool:
    """The server's own processes, and backends (`postgres: user db host idle`) of this run's databases."""
    if not cmdline.startswith("postgres: "):
        return True  # the postmaster
    words = cmdline.split()
    backend = len(words) >= 4 and ("(" in words[3] or words[3] == "[local]")
    return not backend or words[2].startswith(db_prefix)


def _listening_on(port: int) -> list[psutil.Process]:
    pids = {c.pid for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
    return [psutil.Process(pid) for pid in sorted(pids)]


def _children(p: psutil.Process) -> list[psutil.Process]:
    try:
        return p.children()
    except psutil.NoSuchProcess:
        return []


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


def _machine_cpu() -> float:
    t = psutil.cpu_times()
    return t.user + t.system + t.nice + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
