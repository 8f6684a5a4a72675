"""`deploy/kafka.sh start` reports the truth (issue #18): a broker that cannot start is reported with
the reason, even when its log has no error line; a broker that starts is not reported as failed while
its JVM is still coming up. Run on a copy of deploy/ (its own .stack), so no running broker is touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "deploy" / "kafka" / "lib"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A stand-in clone: deploy/ copied, Kafka's jars linked (fetched by an earlier start)."""
    if not any(LIB.glob("*.jar")):
        pytest.skip("Kafka's jars are not fetched yet (deploy/kafka.sh start fetches them)")
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy", ignore=shutil.ignore_patterns("lib", "__pycache__"))
    (tmp_path / "deploy" / "kafka" / "lib").symlink_to(LIB)
    return tmp_path


def test_a_broker_that_cannot_start_is_reported_with_its_reason_even_without_an_error_line(checkout: Path) -> None:
    port = free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP": f"127.0.0.1:{port}", "KAFKA_CONTROLLER_PORT": str(free_port()),
           "KAFKA_HEAP_OPTS": "-Xmx1k", "KAFKA_START_TIMEOUT": "20"}  # the JVM refuses so small a heap
    env.pop("STACK_DIR", None)
    env.pop("SECRETS_FILE", None)
    done = subprocess.run([str(checkout / "deploy" / "kafka.sh"), "start"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "--- errors in" in done.stderr and "--- end of" in done.stderr  # the report ran to its end
    assert "[kafka] ERROR: Kafka" in done.stderr  # and said what happened
    assert "ready on" not in done.stdout


def test_a_broker_that_starts_is_reported_ready_once_it_answers_and_stopped_when_stopped(checkout: Path) -> None:
    port = free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP": f"127.0.0.1:{port}", "KAFKA_CONTROLLER_PORT": str(free_port())}
    env.pop("STACK_DIR", None)
    env.pop("SECRETS_FILE", None)
    kafka_sh = str(checkout / "deploy" / "kafka.sh")
    try:
        started = subprocess.run([kafka_sh, "start"], env=env, capture_output=True, text=True, timeout=180)
        assert started.returncode == 0, started.stderr
        assert f"ready on 127.0.0.1:{port}" in started.stdout and "ERROR" not in started.stderr
        assert subprocess.run([kafka_sh, "status"], env=env, capture_output=True, timeout=30).returncode == 0
        again = subprocess.run([kafka_sh, "start"], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and "already running" in again.stdout  # and it answered (wait_ready)
    finally:
        stopped = subprocess.run([kafka_sh, "stop"], env=env, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert subprocess.run([kafka_sh, "status"], env=env, capture_output=True, timeout=30).returncode == 1
