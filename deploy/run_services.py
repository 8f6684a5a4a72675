"""`make run`: the four services as separate processes on the native stack, until Ctrl-C.

Each service writes JSON log lines to .stack/logs/<service>.log; this prints where they are and how
to submit a claim. Ctrl-C (or SIGTERM) stops the services gracefully; `make down` stops the stack.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("enrollment", "settlement", "wallet", "clearing")

BANNER = """
  Services running: {names}
  Logs:             {logs}/<service>.log   (tail -f {logs}/settlement.log)

  Submit a claim and see the reply, in a second terminal:
      make demo
  Stop the services with Ctrl-C; stop Kafka and Postgres with `make down`.
"""


def main() -> None:
    logs = ROOT / ".stack" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = {
        name: subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT,
                               stdout=(logs / f"{name}.log").open("ab"), stderr=subprocess.STDOUT)
        for name in SERVICES
    }
    print(BANNER.format(names=", ".join(SERVICES), logs=logs.relative_to(ROOT)), flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; see {logs / name}.log", flush=True)
                stopping = True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"{name} stopped", flush=True)


if __name__ == "__main__":
    main()
