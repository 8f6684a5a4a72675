"""What each page of the console shows, assembled from the projection and the services' HTTP APIs.

Every figure says where it came from; a part that could not be had is `null` with the reason, never
a zero that looks like a measurement.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.console.adapters import metrics, projection
from services.console.adapters.metrics import own_exposition
from services.console.adapters.services import ServicesClient, refusal
from services.console.domain import prepayment_cover
from services.console.domain.pipeline import RelayFigures, relay_state
from services.console.service_layer import supervision

FLOW_WINDOW = timedelta(minutes=10)
FLOW_BUCKET_S = 10
MAX_CYCLES = 12


@dataclass
class Pages:
    database: Any  # a pool (asyncpg) once the runtime started
    services: ServicesClient
    prometheus_url: str
    exam_codes: frozenset[str]
    # The supervision rules scan weeks of the projection: computed at most this often, by one request
    # while the others wait for its answer, however many officers have the page open.
    supervision_every: timedelta = timedelta(seconds=30)
    _supervised: tuple[datetime, dict[str, Any]] | None = field(default=None, init=False, repr=False)
    _supervising: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def _read(self, query: Any, *args: Any) -> Any:
        async with self.database().acquire() as conn:
            return await query(conn, *args)

    async def overview(self, now: datetime, token: str) -> dict[str, Any]:
        flow, health, dead, gateway, errors = await asyncio.gather(
            self._read(projection.flow, now - FLOW_WINDOW, FLOW_BUCKET_S), self.health(),
            self.services.each("/v1/dead-letters/summary", token),
            metrics.gateway_figures(self.prometheus_url, self.services),
            metrics.error_rates(self.prometheus_url, self.services))
        last_minute = [b for b in flow["buckets"] if b["at"] >= (now - timedelta(minutes=1)).isoformat()]
        per_second = {kind: round(sum(b["n"] for b in last_minute if b["kind"] == kind) / 60, 2)
                      for kind in projection.KINDS}
        answered = sum(per_second[k] for k in ("settled", "rejected", "presettled"))
        return {
            "at": now.isoformat(), "per_second": per_second, "flow": flow,
            "refusal_rate": round(per_second["rejected"] / answered, 4) if answered else None,
            "errors": errors,
            "services": health,
            "dead_letters_open": {s: (b.get("open") if code == 200 and isinstance(b, dict) else None)
                                  for s, (code, b) in dead.items()},
            "gateway": gateway,
        }

    async def health(self) -> dict[str, Any]:
        alive, ready = await asyncio.gather(self.services.each("/health"), self.services.each("/ready"))
        out = {}
        for name in self.services.urls:
            (a_code, _), (r_code, r_body) = alive[name], ready[name]
            if a_code == 0:
                state = "down"
            elif a_code == 404:  # the service answers but has no /health yet (libs/observability)
                state = "up (no health endpoint)"
            else:
                state = "ready" if r_code == 200 else ("alive" if a_code == 200 else f"unhealthy ({a_code})")
            out[name] = {"state": state, "ready": r_body if r_code in (200, 503) else None}
        return out

    async def refusals(self, now: datetime, days: int, reason_code: str | None, institution: str | None) -> dict[str, Any]:
        return await self._read(projection.refusals, now - timedelta(days=days), reason_code, institution)

    async def claim(self, claim_id: str, token: str) -> dict[str, Any]:
        seen = await self._read(projection.claim, claim_id)
        status, body = await self.services.get("settlement", f"/v1/claims/{claim_id}", token)
        seen["settlement"] = body if status == 200 else None
        seen["settlement_problem"] = None if status == 200 else refusal(status, body)
        return seen

    async def funds(self, now: datetime, hours: int, token: str, region: str | None = None) -> dict[str, Any]:
        flows = await self._read(projection.funds, now - timedelta(hours=hours), 60, region)
        status, ledger = await self.services.get("settlement", "/v1/ledger/balances", token)
        check = None
        if status == 200:
            check = {"debits": ledger["ledger_debits"], "credits": ledger["ledger_credits"],
                     "balanced": ledger["ledger_debits"] == ledger["ledger_credits"],
                     "accounts": ledger["accounts"][:50]}
        return {**flows, "ledger": check, "ledger_problem": None if check else refusal(status, ledger)}

    async def clearing(self, token: str) -> dict[str, Any]:
        status, body = await self._every_page("clearing", "/v1/cycles", "cycles", token)
        if status != 200:
            return {"cycles": None, "problem": refusal(status, body)}
        cycles = sorted(body["cycles"], key=lambda c: (c["period_start"], c["opened_at"]), reverse=True)[:MAX_CYCLES]
        return {"cycles": cycles, "problem": None}

    async def cycle(self, cycle_id: str, token: str) -> dict[str, Any]:
        base = f"/v1/cycles/{cycle_id}"
        (s1, status), (s2, nets), (s3, recon), (s4, statements) = await asyncio.gather(
            self.services.get("clearing", base, token),
            self._every_page("clearing", base + "/net-positions", "positions", token),
            self.services.get("clearing", base + "/reconciliation", token),
            self.services.get("clearing", base + "/statements/institutions", token))
        if s1 != 200:
            return {"cycle": None, "problem": refusal(s1, status)}
        scope = cycle_id.split("/")[0]
        s5, prepay = await self._every_page("clearing", f"/v1/prepayments/{scope}", "balances", token)
        unconfirmed = await self._unconfirmed(base, statements["statements"] if s4 == 200 else [], token)
        balances = {b["admdvs"]: b["balance"] for b in prepay.get("balances", [])} if s5 == 200 else None
        return {"cycle": status["cycle"], "bilateral": status["bilateral"], "fund_pay_sumamt": status["fund_pay_sumamt"],
                "prepayment_cover": self._cover(status, nets if s2 == 200 else None, balances),
                "net_positions": nets if s2 == 200 else None,
                "net_positions_problem": None if s2 == 200 else refusal(s2, nets),
                "reconciliation": recon if s3 == 200 else None,
                "reconciliation_problem": None if s3 == 200 else refusal(s3, recon),
                "prepayments": prepay.get("balances") if s5 == 200 else None, "unconfirmed": unconfirmed}

    @staticmethod
    def _cover(status: dict[str, Any], nets: dict[str, Any] | None, balances: dict[str, int] | None) -> list[dict[str, Any]] | None:
        """What the prepayments cover: applied, once clearing closed the cycle; else against the balances now."""
        if status["cycle"]["status"] != "open" and nets is not None:
            return [c.view() for c in prepayment_cover.closed_cycle_cover(nets["positions"])]
        if balances is None:
            return None
        return [c.view() for c in prepayment_cover.open_cycle_cover(status["bilateral"], balances)]

    async def _every_page(self, service: str, path: str, field: str, token: str) -> tuple[int, Any]:
        """A paged list (docs/security.md, Paging) read to its end, following `next_after`: the cycle
        list, a cycle's regions and a scope's prepayments are shown whole."""
        status, body = await self.services.get(service, path, token, limit=1000)
        while status == 200 and body.get("next_after"):
            status, more = await self.services.get(service, path, token, limit=1000, after=body["next_after"])
            if status != 200:
                return status, more
            body = {**more, field: body[field] + more[field]}
        return status, body

    async def _unconfirmed(self, base: str, statements: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
        codes = [s["fixmedins_code"] for s in statements][:20]
        answers = await asyncio.gather(*(self.services.get("clearing", f"{base}/institutions/{c}/items", token)
                                         for c in codes))
        return [{"fixmedins_code": c, "pending": b["pending"], "confirmed": b["confirmed"],
                 "items": sum(1 for i in b["items"] if i["status"] == "pending")}
                for c, (code, b) in zip(codes, answers, strict=True) if code == 200 and b["pending"]]

    async def pipeline(self, token: str) -> dict[str, Any]:
        prom, dead = await asyncio.gather(metrics.from_prometheus(self.prometheus_url),
                                          self.services.each("/v1/dead-letters/summary", token))
        source = "prometheus" if prom is not None else "services"
        figures = prom if prom is not None else await metrics.from_services(self.services, own_exposition())
        return {"source": source, "prometheus_url": self.prometheus_url, "figures": figures,
                "relay": relay_by_service(source, figures, list(self.services.urls)),
                "dead_letters": {s: (b if code == 200 else None) for s, (code, b) in dead.items()},
                "dead_letters_problem": {s: refusal(code, b) for s, (code, b) in dead.items() if code != 200}}

    async def dead_letters(self, service: str | None, status: str, limit: int, offset: int,
                           token: str) -> dict[str, Any]:
        names = [service] if service else list(self.services.urls)
        answers = await asyncio.gather(*(self.services.get(n, "/v1/dead-letters", token, status=status, limit=limit,
                                                           offset=offset) for n in names))
        items, problems, total = [], {}, 0
        for name, (code, body) in zip(names, answers, strict=True):
            if code != 200:
                problems[name] = refusal(code, body)
                continue
            total += body["total"]
            items += [{**item, "service": name} for item in body["items"]]
        items.sort(key=lambda i: i["parked_at"], reverse=True)
        return {"items": items[:limit], "total": total, "problems": problems}

    async def dead_letter(self, service: str, dead_letter_id: int, token: str) -> tuple[int, Any]:
        return await self.services.get(service, f"/v1/dead-letters/{dead_letter_id}", token)

    async def supervision(self, now: datetime) -> dict[str, Any]:
        """The alerts as of `at`: computed again once `supervision_every` has passed since."""
        async with self._supervising:
            if self._supervised is None or not self._supervised[0] <= now < self._supervised[0] + self.supervision_every:
                found = await self._read(supervision.alerts, now, self.exam_codes)
                self._supervised = (now, {"at": now.isoformat(), "alerts": [supervision.alert_view(a) for a in found]})
            return self._supervised[1]


RELAY_FIGURES = ("outbox_oldest_age_seconds", "relay_failures", "relay_published", "relay_parked")


def relay_by_service(source: str, figures: dict[str, Any], services: list[str]) -> dict[str, dict[str, Any]]:
    """Each service's relay: its figures and its state (domain/pipeline.py). From Prometheus, a figure's
    series carry a `service` label and the failures are those of the last 10 minutes; from the services'
    own /metrics, each service's figures are its processes' since they started, so recent failures are
    not known and the state is read from the outbox's age alone."""
    values: dict[str, dict[str, float | None]] = {}
    if source == "prometheus":
        for name in RELAY_FIGURES:
            for found in figures.get(name) or []:
                service = found["labels"].get("service", "")
                values.setdefault(service, dict.fromkeys(RELAY_FIGURES))[name] = found["value"]
        for service in services:
            values.setdefault(service, dict.fromkeys(RELAY_FIGURES))
    else:
        for service in services:
            own = figures.get(service) or {}
            values[service] = {name: _combined(name, own.get(name)) for name in RELAY_FIGURES}
    out = {}
    for service, v in sorted(values.items()):
        read = RelayFigures(oldest_age_s=v["outbox_oldest_age_seconds"],
                            recent_failures=v["relay_failures"] if source == "prometheus" else None,
                            published=v["relay_published"], parked=v["relay_parked"])
        out[service] = {"state": relay_state(read), "oldest_age_s": read.oldest_age_s, "failures": v["relay_failures"],
                        "published": read.published, "parked": read.parked}
    return out


def _combined(name: str, series: list[dict[str, Any]] | None) -> float | None:
    """A service's processes together: the oldest row of any, the counts of all."""
    if not series:
        return None
    found = [s["value"] for s in series]
    return max(found) if name == "outbox_oldest_age_seconds" else sum(found)
