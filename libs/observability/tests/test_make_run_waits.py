"""`make run` (deploy/run_services.py) prints its banner only once every process is ready."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from deploy import launch
from libs.observability.probe import address, get
from libs.settings import secrets_file
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e


def read_until_banner(proc: subprocess.Popen[str], timeout: float) -> str:
    seen, deadline = [], time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Submit a claim" in line:
            return "".join(seen)
    raise AssertionError("no banner: " + "".join(seen))


def test_the_banner_comes_when_every_process_answers_ready(own_namespace, tmp_path) -> None:
    env = {**os.environ, **own_namespace.process_env, "STACK_DIR": str(tmp_path), "SIMULATOR": "off",
           "SECRETS_FILE": str(secrets_file()), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "deploy.run_services"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        banner = read_until_banner(proc, 180)
        targets = tmp_path / "prometheus" / "targets"
        processes = {p.stem for p in targets.glob("*.json")}
        assert processes == {label for label, _, _ in launch.processes({})}
        for process in processes:
            status, body = get(f"http://{address(targets, process)}/ready")
            assert status == 200 and json.loads(body)["ready"] is True, process
            assert f"http://{address(targets, process)}/metrics" in banner
        assert "Services ready:" in banner
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(90)
    assert not list(targets.glob("*.json"))  # each process withdrew its address
