"""Nothing is lost and nothing is doubled while Postgres restarts under a stream of claims, or while any
service process is killed with `kill -9` and started again.

The services run as processes on the real Kafka and Postgres. Postgres goes away while claims are
arriving, stopped (`deploy/postgres.sh stop`, a fast shutdown: every connection is cut) or killed (kill -9
of every Postgres process: the next start recovers from the write-ahead log), and is started again
POSTGRES_DOWN_S later; no service is restarted by the test: each must find its database again by itself.
Then every claim has exactly one outcome, each is stored and paid once, the wallet's balances moved by
exactly what was paid, and the funds' ledger balances.

Postgres is stopped with this checkout's `deploy/postgres.sh`, so the test runs only where that script
runs the server at PGPORT (its postmaster.pid), and only in CI or with POSTGRES_RESTART_TEST=1 (a
developer's own stack may have other users: `make run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from libs.contracts.topics import CLAIMS_OUTCOMES, CLAIMS_SUBMITTED, ENROLLMENT_COMMANDS, WALLET_COMMANDS
from tests.security.services import TABLES
from tests.security.test_route_matrix import PRINCIPALS, call
from tests.support.auth import bearer
from tests.support.claims import outpatient_claim
from tests.support.clients import Publisher, TopicReader, new_id
from tests.support.people import credit, register
from tests.support.processes import Services, cpu_seconds, log_lines
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e

POSTGRES_SH = ROOT / "deploy" / "postgres.sh"
POSTGRES_DOWN_S = 10.0
MAX_LINES_PER_S = 10.0     # per process, while Postgres is away (as while the broker is: test_broker_outage.py)
MAX_CPU_SHARE = 0.15       # of one core, per process
PEOPLE = [f"R{n:05d}" for n in range(20)]  # employees, each with a personal account
OPERATOR_PASSWORD = secrets.token_urlsafe(12)
# The console's pages (services/console/entrypoints/http.py), as its single-page app reads them.
CONSOLE_PAGES = ["/api/me", "/api/overview", "/api/refusals", "/api/claims/C-RESTART-1", "/api/funds", "/api/clearing",
                 "/api/clearing/cycles/national/2026-01-01", "/api/pipeline", "/api/dead-letters",
                 "/api/dead-letters/settlement/1", "/api/supervision", "/api/audit"]


def postmaster_pid_file() -> Path:
    """As deploy/postgres.sh finds its cluster (PG_STATE_DIR, else $STACK_DIR/postgres, maybe a link)."""
    state = Path(os.environ.get("PG_STATE_DIR") or Path(os.environ.get("STACK_DIR") or ROOT / ".stack") / "postgres")
    return state / "data" / "postmaster.pid"


def our_postgres(port: int) -> bool:
    """Whether this checkout's deploy/postgres.sh runs the server at `port` (and so may stop it)."""
    if str(port) != os.environ.get("PGPORT", str(port)):
        return False
    try:
        lines = postmaster_pid_file().read_text().splitlines()
    except OSError:
        return False
    return len(lines) > 3 and lines[3].strip() == str(port)


def kill_postgres() -> None:
    """kill -9 of the postmaster and every backend at once, as a crash would: no shutdown checkpoint, the
    next start recovers from the write-ahead log."""
    postmaster = psutil.Process(int(postmaster_pid_file().read_text().splitlines()[0]))
    everyone = [postmaster, *postmaster.children(recursive=True)]
    for process in everyone:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(everyone, timeout=30)


def postgres_sh(*args: str) -> None:
    subprocess.run([str(POSTGRES_SH), *args], check=True, stdout=subprocess.DEVNULL)


async def answers_while_away(namespace) -> dict[str, tuple[int, str]]:
    """Every route of every service's API, called by a role its table admits: route -> (status, code)."""
    found: dict[str, tuple[int, str]] = {}
    for service, table in TABLES.items():
        url = f"http://127.0.0.1:{namespace.http_ports[service]}"
        for route, roles in table.rules.items():
            role = sorted(roles)[0]
            try:
                answer = await call(url, route, bearer(role, **PRINCIPALS.get(role, {})))
                body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
                code = body.get("reason_code", "") if isinstance(body, dict) else ""
                found[f"{service} {route}"] = (answer.status_code, code)
            except httpx.HTTPError as exc:
                found[f"{service} {route}"] = (-1, repr(exc))
    return found


async def console_while_away(console: httpx.AsyncClient) -> dict[str, tuple[int, str]]:
    """Every page of the console, read by a signed-in operator: path -> (status, code)."""
    found: dict[str, tuple[int, str]] = {}
    for path in CONSOLE_PAGES:
        try:
            answer = await console.get(path)
            body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
            found[path] = (answer.status_code, body.get("code", "") if isinstance(body, dict) else "")
        except httpx.HTTPError as exc:
            found[path] = (-1, repr(exc))
    return found


async def database_ready(namespace) -> dict[str, float]:
    """`medins_ready{check="database"}` on each service's /metrics."""
    found = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for service in TABLES:
            text = (await client.get(f"http://127.0.0.1:{namespace.http_ports[service]}/metrics")).text
            found[service] = next(s.value for f in text_string_to_metric_families(text) if f.name == "medins_ready"
                                  for s in f.samples if s.labels["check"] == "database")
    return found


async def fetchval(namespace, service: str, sql: str) -> int:
    conn = await asyncpg.connect(namespace.dsn(service))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def system(own_namespace, tmp_path_factory) -> AsyncIterator[Services]:
    if not our_postgres(own_namespace.stack.pgport):
        pytest.skip("the Postgres at PGPORT is not this checkout's deploy/postgres.sh's to stop")
    if not (os.environ.get("CI") or os.environ.get("POSTGRES_RESTART_TEST")):
        pytest.skip("stops Postgres for ~15 s, which other users of this stack would notice: "
                    "runs in CI, or with POSTGRES_RESTART_TEST=1")
    services = Services({**own_namespace.process_env, "CONSOLE_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
                         "READY_POLL_S": "1"},  # medins_ready follows within a second (15 s by default)
                        Path(tmp_path_factory.mktemp("restart-logs")))
    await asyncio.to_thread(services.start)
    try:
        async with Publisher(own_namespace.stack.kafka_bootstrap, own_namespace.topic_prefix) as office:
            for seq, psn in enumerate(PEOPLE):
                await office.send(ENROLLMENT_COMMANDS, psn, register(psn, seq, insutype="310"), f"reg-{psn}")
                await office.send(WALLET_COMMANDS, psn, credit(psn, 3_000_00), f"credit-{psn}")
        for _ in range(600):
            if (await fetchval(own_namespace, "settlement", "SELECT count(*) FROM coverage") == len(PEOPLE)
                    and await fetchval(own_namespace, "wallet", "SELECT count(*) FROM accounts"
                                       " WHERE prior_years + current_year + wallet > 0") == len(PEOPLE)):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("enrollment did not reach settlement and wallet")
        yield services
    finally:
        await asyncio.to_thread(services.stop)
        await asyncio.to_thread(postgres_sh, "start")  # whatever happened, leave Postgres running


@pytest.fixture
async def hospital(own_namespace) -> AsyncIterator[tuple[Publisher, TopicReader]]:
    async with Publisher(own_namespace.stack.kafka_bootstrap, own_namespace.topic_prefix) as pub, \
            TopicReader(own_namespace.stack.kafka_bootstrap, own_namespace.topic_prefix, CLAIMS_OUTCOMES) as outcomes:
        yield pub, outcomes


async def stream(pub: Publisher, claims: list, at: dict[int, Callable[[], Awaitable[object]]]) -> None:
    """Send `claims` a few at a time; before claim n, run `at[n]` (a coroutine function) if there is one."""
    for n, claim in enumerate(claims):
        if n in at:
            await pub.flush()
            await at[n]()
        await pub.send(CLAIMS_SUBMITTED, claim.psn_no, claim, claim.claim_id)
        if n % 10 == 9:
            await pub.flush()
            await asyncio.sleep(0.05)  # a stream, not one burst: claims arrive across the disturbance
    await pub.flush()


async def each_claim_once(namespace, outcomes: TopicReader, claims: list, balance_before: int) -> None:
    ids = [c.claim_id for c in claims]
    await outcomes.wait_for(lambda: all(outcomes.by_correlation.get(i) for i in ids), timeout=240)
    await asyncio.sleep(2.0)  # anything doubled would arrive now
    doubled = [i for i in ids if len({str(e.event_id) for e in outcomes.by_correlation[i]}) != 1]
    assert not doubled, f"claims answered more than once: {doubled[:5]}"
    assert {outcomes.by_correlation[i][0].payload.event_type for i in ids} == {"ClaimSettled"}
    in_list = "(" + ",".join(f"'{i}'" for i in ids) + ")"
    assert await fetchval(namespace, "settlement",
                          f"SELECT count(*) FROM claims WHERE claim_id IN {in_list} AND status = 'settled'") == len(ids)
    assert await fetchval(namespace, "wallet", f"SELECT count(*) FROM claim_payments WHERE claim_id IN {in_list}") == len(ids)
    paid = await fetchval(namespace, "wallet",
                          f"SELECT coalesce(sum(acct_pay + acct_mulaid_pay), 0) FROM claim_payments WHERE claim_id IN {in_list}")
    assert await fetchval(namespace, "wallet", "SELECT sum(prior_years + current_year + wallet) FROM accounts") == balance_before - paid
    told = sum(outcomes.by_correlation[i][0].payload.acct_pay + outcomes.by_correlation[i][0].payload.acct_mulaid_pay
               for i in ids)
    assert paid == told
    entries = f"FROM fund_entries e JOIN claims c USING (setl_id) WHERE c.claim_id IN {in_list}"
    assert await fetchval(namespace, "settlement", f"SELECT coalesce(sum(debit) - sum(credit), 0) {entries}") == 0
    fund_paid = sum(outcomes.by_correlation[i][0].payload.amounts.fund_pay_sumamt for i in ids)
    assert await fetchval(namespace, "settlement",
                          f"SELECT coalesce(sum(debit), 0) {entries} AND account LIKE 'fund:%'") == fund_paid
    # the console's projection (a follower: it may trail) holds each outcome once
    projected = f"SELECT count(*) FROM outcomes WHERE claim_id IN {in_list}"
    for _ in range(120):
        if await fetchval(namespace, "console", projected) >= len(ids):
            break
        await asyncio.sleep(0.5)
    assert await fetchval(namespace, "console", projected) == len(ids)


@pytest.mark.parametrize("going", ["stopped", "killed"])
async def test_postgres_going_away_under_a_stream_of_claims_loses_nothing_and_doubles_nothing(
        system, own_namespace, hospital, going: str) -> None:
    """`stopped`: a fast shutdown (every connection cut). `killed`: kill -9 of every Postgres process."""
    pub, outcomes = hospital
    rng = random.Random(23 if going == "stopped" else 31)
    claims = [outpatient_claim(new_id("PG"), rng.choice(PEOPLE), insutype="310") for _ in range(200)]
    balance_before = await fetchval(own_namespace, "wallet", "SELECT sum(prior_years + current_year + wallet) FROM accounts")

    away: dict[str, tuple[float, float]] = {}
    http: dict[str, tuple[int, str]] = {}
    pages: dict[str, tuple[int, str]] = {}
    ready: dict[str, dict[str, float]] = {}
    console = httpx.AsyncClient(base_url=f"http://127.0.0.1:{own_namespace.http_ports['console']}", timeout=30)
    signed_in = await console.post("/api/login", json={"username": "operator", "password": OPERATOR_PASSWORD})
    assert signed_in.status_code == 200, signed_in.text

    async def restart_postgres() -> None:
        await asyncio.to_thread(postgres_sh, "stop") if going == "stopped" else await asyncio.to_thread(kill_postgres)
        await asyncio.sleep(2.0)  # the first reactions to the cut connections are not the steady state
        procs = dict(system.all)
        before = {label: (log_lines(p.log_path), cpu_seconds(p.proc.pid)) for label, p in procs.items()}
        await asyncio.sleep(POSTGRES_DOWN_S)
        away.update({label: ((log_lines(p.log_path) - before[label][0]) / POSTGRES_DOWN_S,
                             (cpu_seconds(p.proc.pid) - before[label][1]) / POSTGRES_DOWN_S) for label, p in procs.items()})
        http.update(await answers_while_away(own_namespace))
        pages.update(await console_while_away(console))
        ready["away"] = await database_ready(own_namespace)
        await asyncio.to_thread(postgres_sh, "start")

    await stream(pub, claims, {80: restart_postgres})
    print("\nper process while Postgres was away (lines/s, CPU share of a core):",
          {label: (round(n, 2), round(c, 3)) for label, (n, c) in away.items()})
    await each_claim_once(own_namespace, outcomes, claims, balance_before)
    died = [label for label, p in system.all.items() if p.proc.poll() is not None]
    assert not died, f"processes that did not survive Postgres's restart: {died}"
    assert not {label: round(n, 1) for label, (n, _) in away.items() if n > MAX_LINES_PER_S}, "log lines a second"
    assert not {label: round(c, 3) for label, (_, c) in away.items() if c > MAX_CPU_SHARE}, "CPU share of a core"
    # Every API answered while Postgres was away: a 503 to send again, never a 500 or a dropped connection.
    assert len(http) == sum(len(t.rules) for t in TABLES.values())
    assert not {route: answer for route, answer in http.items() if answer[0] >= 500 and answer != (503, "TRY_AGAIN")}
    # and so did the console's pages (a service's 503 passed on as it came, or the console's own)
    print("\nthe console's pages while Postgres was away:", pages)
    assert len(pages) == len(CONSOLE_PAGES)
    assert not {path: answer for path, answer in pages.items() if answer[0] >= 500 and answer[0] not in (502, 503)}
    assert (await console.get("/api/overview")).status_code == 200  # and it reads again once Postgres is back
    # what the DependencyUnreachable alert watches: 0 while Postgres was away, 1 once it is back
    assert set(ready["away"].values()) == {0.0}, ready
    assert set((await database_ready(own_namespace)).values()) == {1.0}
    await console.aclose()


async def test_kill_9_of_each_service_process_under_a_stream_of_claims_loses_nothing_and_doubles_nothing(
        system, own_namespace, hospital) -> None:
    pub, outcomes = hospital
    rng = random.Random(29)
    labels = list(system.all)  # every process, the console's projection too
    claims = [outpatient_claim(new_id("K9"), rng.choice(PEOPLE), insutype="310") for _ in range(60 * len(labels))]
    balance_before = await fetchval(own_namespace, "wallet", "SELECT sum(prior_years + current_year + wallet) FROM accounts")

    def kill_and_start(label: str):
        async def act() -> None:
            await asyncio.to_thread(system[label].stop, signal.SIGKILL)
            await asyncio.to_thread(system[label].start)
        return act

    await stream(pub, claims, {30 + 60 * n: kill_and_start(label) for n, label in enumerate(labels)})
    await each_claim_once(own_namespace, outcomes, claims, balance_before)
