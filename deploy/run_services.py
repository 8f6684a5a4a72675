"""`make run`: the four services as separate processes on the native stack, until Ctrl-C.

Each service writes JSON log lines to $STACK_DIR/logs/<service>.log (default .stack/logs); this prints where they are and how
to submit a claim. Simulated hospitals and pharmacies (libs/hospital/simulator) send a gentle stream
of claims so the system shows live traffic, with a summary line every 15 s; `SIMULATOR=off make run`
(or `--no-simulator`) leaves it out, `SIMULATOR_RATE=20 make run` (or `--simulator-rate 20`) changes
its rate. Ctrl-C (or SIGTERM) stops everything gracefully; `make down` stops the stack.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.launch import command, processes

ROOT = Path(__file__).resolve().parents[1]

BANNER = """
  Services running: {names}
  Logs:             {logs}/<service>.log   (tail -f {logs}/settlement.log)
  Simulator:        {simulator}

  Submit a claim and see the reply, in a second terminal:
      make demo
  Stop the services with Ctrl-C; stop Kafka and Postgres with `make down`.
"""
SIMULATOR_ON = ("simulated hospitals send {rate:g} messages a second (a summary every 15 s);\n"
                "                    SIMULATOR=off make run to leave it out, SIMULATOR_RATE=20 make run to change it")
SIMULATOR_OFF = "off (SIMULATOR=off or --no-simulator); without it, only `make demo` sends claims"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m deploy.run_services", description="the four services (make run)")
    p.add_argument("--no-simulator", action="store_true", help="do not start the simulated hospitals")
    p.add_argument("--simulator-rate", type=float, default=float(os.environ.get("SIMULATOR_RATE", "5")),
                   help="messages a second the simulated hospitals send (default 5, or SIMULATOR_RATE)")
    args = p.parse_args()
    args.simulator = not args.no_simulator and os.environ.get("SIMULATOR", "on").lower() not in ("off", "0", "no", "false")
    return args


def main() -> None:
    args = parse_args()
    logs = Path(os.environ.get("STACK_DIR") or ROOT / ".stack") / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = {
        label: subprocess.Popen(command(service, os.environ), cwd=ROOT, env={**os.environ, **extra},
                                stdout=(logs / f"{label}.log").open("ab"), stderr=subprocess.STDOUT)
        for label, service, extra in processes(os.environ)
    }
    simulator = start_simulator(args.simulator_rate) if args.simulator else None
    print(BANNER.format(names=", ".join(procs), logs=logs.relative_to(ROOT),
                        simulator=SIMULATOR_ON.format(rate=args.simulator_rate) if simulator else SIMULATOR_OFF),
          flush=True)
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
        if simulator is not None and simulator.poll() is not None:
            print(f"the simulator exited with {simulator.returncode}; the services keep running", flush=True)
            simulator = None
        time.sleep(0.5)
    if simulator is not None:  # the hospitals stop first, so no claim is left half-way by the services
        simulator.send_signal(signal.SIGTERM)
        try:
            simulator.wait(timeout=15)
        except subprocess.TimeoutExpired:
            simulator.kill()
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"{name} stopped", flush=True)


def start_simulator(rate: float) -> subprocess.Popen[bytes]:
    """The simulated hospitals, their summary lines on this terminal (they wait for the services)."""
    return subprocess.Popen([sys.executable, "-m", "libs.hospital.simulator", "--rate", f"{rate:g}", "--every", "15"],
                            cwd=ROOT)


if __name__ == "__main__":
    main()
