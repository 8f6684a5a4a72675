"""The benchmark itself, in miniature: it runs end to end and reports every figure (no timing checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import run

pytestmark = pytest.mark.e2e


async def test_the_short_benchmark_reports_throughput_latency_hops_resources_ceilings_and_lag(stack, tmp_path) -> None:
    result = await run.run(run.SHORT, stack, tmp_path)
    saved = json.loads(Path(result["path"]).read_text())  # noqa: ASYNC240 - a test's one small file, after the run
    sustained = saved["sustained"]
    assert sustained["replies_per_second"] > 0 and saved["outcomes_by_type"]["replies_by_type"]
    assert {"p50", "p95", "p99"} <= set(saved["phases"][0]["latency_ms"]["all"])
    timeline = saved["phases"][0]["latency_timeline_ms"]  # (second, replies, p50, p99) of each second
    assert sum(replies for _, replies, _, _ in timeline) == sum(saved["phases"][0]["replies_by_type"].values())
    assert {"settlement", "wallet", "kafka", "postgres"} <= set(sustained["resources"]["cpu_percent_of_one_core"])
    assert saved["ceilings"]["kafka_produce_consume"]["messages_per_second"] > 0
    assert saved["ceilings"]["postgres_single_row_tx"]["transactions_per_second"] > 0
    assert set(saved["ratios"]) and set(saved["aims"]) and isinstance(saved["lag_after_drain"], dict)
    assert "Ceilings of the parts" in run.report.table(saved)
    hops = saved["phases"][0]["hops"]  # where a settled claim's time went, hop by hop
    assert set(hops) == {name for name, _, _ in run.hops.HOPS} and all(h["claims"] > 0 for h in hops.values())
    assert saved["national_http"]["settled"] > 0 and saved["national_http"]["2207_p99_ms"] > 0  # the HTTP path too
    assert "Hop by hop" in run.report.table(saved)


async def test_the_hop_benchmark_runs_its_service_as_an_existing_database_role_and_reports(stack) -> None:
    from tests.bench import hop

    figures = await hop.one_run(stack, 300, None)  # `make bench-hop` in miniature: the hop service must start
    assert figures["messages_per_second"] > 0 and figures["hop_ms_p99"] >= figures["hop_ms_p50"] > 0
    assert figures["cpu_us_per_message_hop service"] > 0
