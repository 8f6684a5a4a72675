"""`make run`: the services as separate processes on the native stack, until Ctrl-C.

Each service writes JSON log lines to $STACK_DIR/logs/<service>.log (default .stack/logs). Every process
announces its metrics address in $STACK_DIR/prometheus/targets/<process>.json (Prometheus's file
discovery, deploy/prometheus.sh); this waits until every process answers `/ready` (database, migrations,
Kafka, consumers assigned) and only then prints where the logs, metrics and Prometheus are and how to
submit a claim. Simulated hospitals and pharmacies (libs/hospital/simulator) send a gentle stream
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
from libs.observability.probe import wait_ready
from libs.settings import secrets_file

ROOT = Path(__file__).resolve().parents[1]
TARGETS = Path(os.environ.get("STACK_DIR") or ROOT / ".stack") / "prometheus" / "targets"  # as deploy/prometheus.sh
READY_TIMEOUT = float(os.environ.get("READY_TIMEOUT_S", "180"))

BANNER = """
  Services ready:   {names}
  Metrics:          {metrics}
  Prometheus:       {prometheus}
  Console:          {console}
  Logs:             {logs}/<service>.log   (tail -f {logs}/settlement.log)
  Simulator:        {simulator}

  Submit a claim and see the reply, in a second terminal:
      make demo
  Stop the services with Ctrl-C; stop Kafka and Postgres with `make down`.
"""
SIMULATOR_ON = ("simulated hospitals send {rate:g} messages a second (a summary every 15 s);\n"
                "                    SIMULATOR=off make run to leave it out, SIMULATOR_RATE=20 make run to change it")
CONSOLE = ("http://127.0.0.1:{port}/  (users operator, auditor, clearing; their passwords are\n"
           "                    CONSOLE_OPERATOR_PASSWORD… in {secrets}; docs/operations.md)")
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
    TARGETS.mkdir(parents=True, exist_ok=True)
    for stale in TARGETS.glob("*.json"):  # left by a process that was killed
        stale.unlink()
    observed = {"PROMETHEUS_TARGETS_DIR": str(TARGETS)}
    procs = {
        label: subprocess.Popen(command(service, os.environ), cwd=ROOT,
                                env={**os.environ, **observed, "PROCESS_LABEL": label, **extra},
                                stdout=(logs / f"{label}.log").open("ab"), stderr=subprocess.STDOUT)
        for label, service, extra in processes(os.environ)
    }
    try:
        ready = wait_ready(TARGETS, procs, READY_TIMEOUT, failed=lambda: exited(procs, logs))
    except (RuntimeError, TimeoutError, KeyboardInterrupt) as exc:
        print(f"not ready: {exc}; stopping the services", file=sys.stderr, flush=True)
        stop_all(procs)
        sys.exit(1)
    simulator = start_simulator(args.simulator_rate) if args.simulator else None
    print(BANNER.format(names=", ".join(procs), logs=shown(logs),
                        metrics="  ".join(f"http://{addr}/metrics" for addr in ready.values()),
                        prometheus=prometheus_address(),
                        console=CONSOLE.format(port=os.environ.get("CONSOLE_HTTP_PORT", "8100"), secrets=shown(secrets_file())),
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
    stop_all(procs)


def shown(path: Path) -> Path:
    """A path as the banner shows it: relative to the clone when it is inside it (.stack/…)."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def exited(procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> str | None:
    for name, proc in procs.items():
        if proc.poll() is not None:
            return f"{name} exited with {proc.returncode}; see {logs / name}.log"
    return None


def stop_all(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in procs.items():
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"{name} stopped", flush=True)


def prometheus_address() -> str:
    port = os.environ.get("PROMETHEUS_PORT", "9090")
    if subprocess.run([str(ROOT / "deploy" / "prometheus.sh"), "status"], capture_output=True).returncode == 0:
        return f"http://127.0.0.1:{port}  (alerts: http://127.0.0.1:{port}/alerts)"
    return "not running (deploy/prometheus.sh start)"


def start_simulator(rate: float) -> subprocess.Popen[bytes]:
    """The simulated hospitals, their summary lines on this terminal (they wait for the services)."""
    mode = os.environ.get("SIMULATOR_MODE", "national")  # national: HTTP to the gateway; kafka: claims to Kafka
    return subprocess.Popen([sys.executable, "-m", "libs.hospital.simulator", "--rate", f"{rate:g}", "--every", "15",
                             "--mode", mode], cwd=ROOT)


if __name__ == "__main__":
    main()
