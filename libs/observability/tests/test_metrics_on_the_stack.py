"""Every service process, as `make run` starts them, exposes its metrics after claims flowed through
the real Kafka and Postgres; the trace context follows a claim across the services; a real Prometheus
finds and scrapes every process."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.launch import processes
from libs.contracts.registry import decode
from libs.contracts.topics import (
    CLAIMS_ADJUDICATED,
    CLAIMS_OUTCOMES,
    CLAIMS_SUBMITTED,
    ENROLLMENT_COMMANDS,
    WALLET_COMMANDS,
)
from libs.observability.probe import get, wait_ready
from tests.support.claims import outpatient_claim
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.people import credit, register
from tests.support.processes import Services
from tests.support.stack import ROOT, free_port

pytestmark = pytest.mark.e2e

EMPLOYEE, STRANGER = "OBS00001", "OBS09999"
LARGE_BILL = (("002501000010000", Decimal("10.00"), Decimal("1")), ("XJ01DDA064B002010100367", Decimal("8.80"), Decimal("300")))


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("targets")


@pytest.fixture(scope="module")
async def system(own_namespace, targets, tmp_path_factory) -> AsyncIterator[dict[str, str]]:
    services = Services({**own_namespace.process_env, "PROMETHEUS_TARGETS_DIR": str(targets), "LAG_EVERY_S": "1",
                         "OUTBOX_POLL_S": "1"}, Path(tmp_path_factory.mktemp("logs")))
    for label, process in services.all.items():
        process.env["PROCESS_LABEL"] = label
    await asyncio.to_thread(services.start)
    try:
        yield await asyncio.to_thread(wait_ready, targets, services.all, 120)
    finally:
        await asyncio.to_thread(services.stop)


@pytest.fixture(scope="module")
async def claims_flowed(system, own_namespace) -> dict[str, object]:
    ns = own_namespace
    async with Publisher(ns.stack.kafka_bootstrap, ns.topic_prefix) as office, \
            TopicReader(ns.stack.kafka_bootstrap, ns.topic_prefix, CLAIMS_OUTCOMES) as outcomes, \
            TopicReader(ns.stack.kafka_bootstrap, ns.topic_prefix, CLAIMS_ADJUDICATED) as adjudicated:
        await office.send(ENROLLMENT_COMMANDS, EMPLOYEE, register(EMPLOYEE, 1, insutype="310"), f"reg-{EMPLOYEE}")
        await office.send(WALLET_COMMANDS, EMPLOYEE, credit(EMPLOYEE, 300_00), f"credit-{EMPLOYEE}")
        await asyncio.sleep(3)  # enrollment reaches settlement and the wallet
        claims = [outpatient_claim(new_id("OBS"), EMPLOYEE, insutype="310", lines=LARGE_BILL) for _ in range(3)]
        claims.append(outpatient_claim(new_id("OBS"), STRANGER, insutype="310"))
        for claim in claims:
            await office.send(CLAIMS_SUBMITTED, claim.psn_no, claim, claim.claim_id)
        ids = [c.claim_id for c in claims]
        await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(i) for i in ids), timeout=120)
        await asyncio.sleep(2.5)  # the outbox gauge and the lag collector measure every second
        return {"ids": ids, "outcomes": list(outcomes.raw), "adjudicated": list(adjudicated.raw)}


def scrape(address: str) -> dict[str, list]:
    status, body = get(f"http://{address}/metrics")
    assert status == 200
    return {f.name: f.samples for f in text_string_to_metric_families(body.decode())}


def total(scrapes: list[dict[str, list]], sample_name: str, **labels: str) -> float:
    return sum(s.value for families in scrapes for samples in families.values() for s in samples
               if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_every_process_answers_health_and_ready(system) -> None:
    assert set(system) == {label for label, _, _ in processes({})}
    for address in system.values():
        assert get(f"http://{address}/health")[0] == 200
        status, body = get(f"http://{address}/ready")
        assert status == 200 and json.loads(body)["ready"] is True


def test_every_process_exposes_the_runtime_families(system, claims_flowed) -> None:
    for process, address in system.items():
        families = scrape(address)
        for name in ("medins_outbox_depth", "medins_outbox_oldest_age_seconds", "medins_consumer_messages",
                     "medins_consumer_batch_size", "medins_consumer_transaction_seconds", "medins_http_requests",
                     "medins_relay_publish_seconds", "faststream_received_messages"):
            assert name in families, f"{process} lacks {name}"


def test_a_claims_journey_is_counted_by_consumer_outcome_fund_and_reply_time(system, claims_flowed) -> None:
    scrapes = [scrape(address) for address in system.values()]
    assert total(scrapes, "medins_consumer_messages_total", consumer="settlement-claims.submitted", result="handled") >= 4
    assert total(scrapes, "medins_consumer_messages_total", consumer="wallet-settlement.adjudicated", result="handled") >= 3
    assert total(scrapes, "medins_claims_total", outcome="settled", fixmedins_code="H43010001") == 3
    assert total(scrapes, "medins_claims_total", outcome="rejected") == 1
    assert total(scrapes, "medins_claim_reply_seconds_count") == 4
    settled = [decode(r.value).payload for r in claims_flowed["outcomes"] if decode(r.value).event_type == "ClaimSettled"]
    paid = sum(d.fund_payamt for s in settled for d in s.setldetail)
    assert paid > 0
    assert total(scrapes, "medins_fund_paid_fen_total", insuplc_admdvs="371300") == paid
    assert total(scrapes, "medins_personal_part_paid_fen_total") > 0
    assert total(scrapes, "medins_relay_published_messages_total") > 0
    assert total(scrapes, "faststream_received_messages_total") >= 4
    assert total(scrapes, "medins_http_requests_total", route="/ready", status="200") >= 5


def test_every_process_exposition_passes_promtools_naming_lint(system, claims_flowed) -> None:
    """`promtool check metrics`: Prometheus' own conventions (counters end in _total, base units, help
    text), on what each process really serves once claims went through it."""
    promtool = shutil.which("promtool")
    if promtool is None:
        subprocess.run([str(ROOT / "deploy" / "prometheus.sh"), "check"], check=True, capture_output=True)
        promtool = "promtool"
    for process, address in system.items():
        status, body = get(f"http://{address}/metrics")
        assert status == 200
        linted = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
        assert linted.returncode == 0, f"{process}: {(linted.stdout + linted.stderr).decode()}"


def test_consumer_lag_is_exported_by_the_first_enrollment_and_console_processes(system, claims_flowed) -> None:
    # A group shows once it has committed offsets, which the followers (enrollment, console) do after
    # their gathering window: scrape until the groups are there, on a busy machine for up to a minute.
    wanted = {"enrollment-claims.outcomes"}
    if "console" in system:  # the console's principal describes every group; enrollment's, its own
        wanted |= {"settlement-claims.submitted", "wallet-settlement.adjudicated", "settlement-wallet.payments"}
    deadline = time.monotonic() + 60
    while True:
        lag_by_process = {p: list(scrape(a).get("medins_consumer_group_lag", [])) for p, a in system.items()}
        exporting = {p for p, samples in lag_by_process.items() if samples}
        groups = {s.labels["group"] for p in exporting for s in lag_by_process[p]}
        if wanted <= groups or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "enrollment" in exporting and exporting <= {"enrollment", "console"}
    assert wanted <= groups


def trace_ids(records, claim_id: str) -> set[str]:
    found = set()
    for record in records:
        if decode(record.value).correlation_id == claim_id:
            headers = dict(record.headers or ())
            found.add(headers[("traceparent")].decode()[3:35])
    return found


def test_one_trace_follows_a_claim_from_settlement_to_the_wallet_and_back(claims_flowed) -> None:
    claim_id = claims_flowed["ids"][0]
    adjudicated = trace_ids(claims_flowed["adjudicated"], claim_id)
    answered = trace_ids(claims_flowed["outcomes"], claim_id)
    assert len(adjudicated) == 1 and adjudicated == answered
    other = trace_ids(claims_flowed["outcomes"], claims_flowed["ids"][1])
    assert other != answered


@pytest.fixture(scope="module")
def prometheus(targets, tmp_path_factory) -> Iterator[str]:
    if shutil.which("prometheus") is None:
        subprocess.run([str(ROOT / "deploy" / "prometheus.sh"), "check"], check=True, capture_output=True)
    home, port = tmp_path_factory.mktemp("prometheus"), free_port()
    config = (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
    config = config.replace('"../../.stack/prometheus/targets/*.json"', f'"{targets}/*.json"')
    config = config.replace("  - rules/*.yml", f"  - {ROOT}/deploy/prometheus/rules/*.yml").replace(":9090", f":{port}")
    (home / "prometheus.yml").write_text(config)
    proc = subprocess.Popen(["prometheus", f"--config.file={home}/prometheus.yml", f"--storage.tsdb.path={home}/data",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=(home / "log").open("w"), start_new_session=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def query(prometheus: str, path: str, **params: str) -> dict:
    status, body = get(f"http://{prometheus}{path}?{urllib.parse.urlencode(params)}")
    return json.loads(body) if status == 200 else {}


def test_a_real_prometheus_discovers_and_scrapes_every_process(system, claims_flowed, prometheus) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        active = query(prometheus, "/api/v1/targets").get("data", {}).get("activeTargets", [])
        up = {t["labels"]["process"] for t in active if t["labels"].get("job") == "medins" and t["health"] == "up"}
        settled = query(prometheus, "/api/v1/query", query='sum(medins_claims_total{outcome="settled"})')
        result = settled.get("data", {}).get("result", [])
        if up == set(system) and result and float(result[0]["value"][1]) == 3:
            break
        time.sleep(1)
    else:
        pytest.fail(f"Prometheus scraped {up} of {set(system)}; settled claims {result}")
