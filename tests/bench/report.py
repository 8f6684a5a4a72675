"""The benchmark's human table, its ratios to the ceilings, and where it stands against the aims."""

from __future__ import annotations

from typing import Any

AIM_THROUGHPUT = 3000  # settled claims a second, sustained
AIM_P99_MS, AIM_P99_AT = 250, 500  # p99 under 250 ms at 500 claims a second offered
AIM_RSS_MB = 200  # per service
SERVICES = ("enrollment", "settlement", "wallet", "clearing")


def ratios(result: dict[str, Any]) -> dict[str, float | None]:
    ours = result["sustained"]["replies_per_second"]
    c = result["ceilings"]
    kafka = c["kafka_produce_consume"]["messages_per_second"]
    pg = c["postgres_single_row_tx"]["transactions_per_second"]
    return {"claims_per_second_over_kafka_messages_per_second": round(ours / kafka, 4) if kafka else None,
            "claims_per_second_over_postgres_transactions_per_second": round(ours / pg, 4) if pg else None}


def aims(result: dict[str, Any]) -> dict[str, Any]:
    settled = result["sustained"]["settled_per_second"]
    at = next((p for p in result["phases"] if p.get("offered_per_second") == AIM_P99_AT), None)
    p99 = at["latency_ms"]["all"]["p99"] if at else None
    peaks = result["sustained"]["resources"]["peak_memory_mb"]
    worst = max((peaks.get(s, 0.0) for s in SERVICES), default=0.0)
    return {
        "settled_per_second": {"aim": AIM_THROUGHPUT, "measured": settled, "met": settled >= AIM_THROUGHPUT},
        "p99_ms_at_500_offered": {"aim": AIM_P99_MS, "measured": p99, "met": p99 is not None and p99 < AIM_P99_MS},
        "max_service_rss_mb": {"aim": AIM_RSS_MB, "measured": worst, "met": worst < AIM_RSS_MB},
    }


def phase_line(p: dict[str, Any]) -> str:
    lat = p["latency_ms"]["all"]
    rate = p.get("achieved_replies_per_second", p.get("replies_per_second"))
    return (f"  {p['name']:<28} {rate:>8.1f} replies/s   p50 {_ms(lat['p50'])}  p95 {_ms(lat['p95'])}  "
            f"p99 {_ms(lat['p99'])}   no reply {sum(p['no_reply'].values())}")


def table(r: dict[str, Any]) -> str:
    s = r["sustained"]
    out = ["", f"Benchmark ({r['profile']['name']}, {r['environment']['cpus']} CPUs, commit "
               f"{r['environment']['git_commit']}{'+changes' if r['environment']['git_dirty'] else ''}, "
               f"{r['bench_seconds']:.0f} s)", "",
           "End to end: claims from submission to the outcome received by the hospital",
           f"  sustained ({s['window']} in flight, {s['steady_seconds']} s steady): {s['replies_per_second']:.1f} "
           f"replies/s, of which settled {s['settled_per_second']:.1f}/s", "",
           f"  {'offered/s':>9} {'achieved/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'no reply':>9}"]
    for p in r["phases"]:
        if "offered_per_second" in p:
            lat = p["latency_ms"]["all"]
            out.append(f"  {p['offered_per_second']:>9.0f} {p['achieved_replies_per_second']:>10.1f} {_ms(lat['p50'])} "
                       f"{_ms(lat['p95'])} {_ms(lat['p99'])} {sum(p['no_reply'].values()):>9}")
    hopped = [p for p in r["phases"] if p.get("hops")]
    if hopped:
        out += ["", "Hop by hop, settled claims (from the records' Kafka timestamps): p50 / p95 / p99 ms"]
        for p in hopped:
            for name, h in p["hops"].items():
                out.append(f"  at {p['offered_per_second']:>5.0f}/s  {name:<36} {h['p50_ms']:>6} / {h['p95_ms']:>6} / {h['p99_ms']:>6}")
    out += ["", "Resources (CPU: % of one core; memory: peak MB, RSS; Postgres PSS)",
            f"  {'part':<16} {'sustained cpu':>14} {'at 500/s cpu':>13} {'peak MB':>8}"]
    at500 = next((p for p in r["phases"] if p.get("offered_per_second") == AIM_P99_AT), None)
    cpu_s, mem = s["resources"]["cpu_percent_of_one_core"], s["resources"]["peak_memory_mb"]
    cpu_5 = at500["resources"]["cpu_percent_of_one_core"] if at500 else {}
    for part in cpu_s:
        out.append(f"  {part:<16} {cpu_s[part]:>14.1f} {cpu_5.get(part, float('nan')):>13.1f} "
                   f"{mem.get(part, float('nan')):>8.1f}")
    c, ra = r["ceilings"], r["ratios"]
    k, pg, pg1 = c["kafka_produce_consume"], c["postgres_single_row_tx"], c["postgres_single_row_tx_one_connection"]
    out += ["", "Ceilings of the parts (same machine, same run)",
            f"  raw aiokafka produce->consume, {k['messages']} x {k['message_bytes']} B: {k['messages_per_second']:.0f} msg/s"
            f"   ours / this = {ra['claims_per_second_over_kafka_messages_per_second']}",
            f"  Postgres committed single-row tx, {pg['connections']} connections: {pg['transactions_per_second']:.0f}/s"
            f"   ours / this = {ra['claims_per_second_over_postgres_transactions_per_second']}",
            f"  Postgres committed single-row tx, 1 connection: {pg1['transactions_per_second']:.0f}/s"]
    lag_end, lag_drained = r["lag_at_end_of_sustained"], r["lag_after_drain"]
    out += ["", f"Consumer lag: {sum(lag_end.values())} at the end of the sustained phase "
                f"({_top(lag_end)}); {sum(lag_drained.values())} after draining"]
    totals = r["outcomes_by_type"]
    out += ["", "Outcomes by type (all measured phases): " + ", ".join(f"{t} {n}" for t, n in sorted(totals["replies_by_type"].items())),
            "  rejection reasons: " + (", ".join(f"{k} {n}" for k, n in sorted(totals["rejection_reasons"].items())) or "none"),
            "  sent: " + ", ".join(f"{k} {n}" for k, n in sorted(totals["sent"].items()))
            + f"; without reply: {sum(totals['no_reply'].values())} {dict(totals['no_reply']) or ''}"]
    out += ["", "Aims"]
    for name, a in r["aims"].items():
        out.append(f"  {name:<24} aim {a['aim']:<6} measured {a['measured']}  {'met' if a['met'] else 'NOT met'}")
    return "\n".join(out)


def _ms(v: float | None) -> str:
    return f"{v:>8.1f}" if v is not None else f"{'-':>8}"


def _top(lag: dict[str, int]) -> str:
    worst = sorted(lag.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{g} {n}" for g, n in worst if n) or "none"
