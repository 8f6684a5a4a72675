"""Simulated hospitals on the national interface: whole outpatient visits over HTTP to the gateway.

Each visit is what a HIS counter sends: 1101 (the person by ID card), 2201, 2203, 2204 (one to three
catalogue lines), 2206, 2207, and for one visit in ten 2208 afterwards. Visits start at a fixed rate
(an open loop); every reply is checked for `infcode` and, for settlements, for the identities.
The institutions are registered with the gateway first (new credentials each run: a development tool).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from libs.hospital.simulator.national import NationalClient
from libs.hospital.simulator.population import Institution, Person, Population
from services.gateway.adapters.catalogue import FileCatalogues
from services.gateway.bootstrap import GatewaySettings
from services.gateway.entrypoints.cli import register


@dataclass
class NationalStats:
    visits: int = 0
    settled: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by infno
    errors: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # infno -> seconds

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"visits": self.visits, "settled": self.settled, "refused": dict(self.refused),
                               "errors": self.errors}
        for infno, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            out[f"{infno}_p50_ms"] = round(ordered[len(ordered) // 2] * 1000, 1)
            out[f"{infno}_p99_ms"] = round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1)
        return out

    def line(self) -> str:
        s = self.summary()
        return (f"{s['visits']} visits, {s['settled']} settled, refused {s['refused'] or 0}, errors {s['errors']}; "
                f"2207 p50 {s.get('2207_p50_ms', '-')} ms p99 {s.get('2207_p99_ms', '-')} ms")


async def connect(url: str, population: Population, settings: GatewaySettings | None = None) -> dict[str, NationalClient]:
    """Register every simulated hospital with the gateway and sign each in; clients by fixmedins_code."""
    settings = settings or GatewaySettings()
    clients = {}
    for inst in population.all_institutions:
        if inst.fixmedins_type != "hospital":
            continue
        creds = await register(settings, inst.fixmedins_code, f"模拟医院 {inst.fixmedins_code}", inst.hosp_lv, inst.region)
        client = NationalClient(url, inst.fixmedins_code, creds.app_id, creds.app_secret, region=inst.region)
        await client.sign_in()
        clients[inst.fixmedins_code] = client
    return clients


class VisitPlayer:
    def __init__(self, clients: dict[str, NationalClient], population: Population, seed: int = 1) -> None:
        self.clients, self.population, self.rng = clients, population, random.Random(seed)
        self.stats = NationalStats()
        catalogues = FileCatalogues()
        self.items = {}
        for region in population.treatment_regions:
            found = catalogues.for_region(region) or {}
            self.items[region] = [e for e in found.values() if e.cap and e.chrgitm_lv in ("1", "2") and e.cap <= 20000]
        self.hospitals = {r: [i for i in population.institutions.get(r, []) if i.fixmedins_code in clients]
                          for r in population.treatment_regions}
        self.people = [p for p in population.people if self.hospitals.get(p.insured_region) and p.home_region == p.insured_region
                       and p.insutype in ("310", "390")]

    async def run(self, rate: float, duration: float | None, stop: asyncio.Event | None = None) -> NationalStats:
        """Start `rate` visits a second for `duration` seconds (or until `stop`); wait for those in flight."""
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        n = 0
        while (duration is None or time.monotonic() - started < duration) and not (stop and stop.is_set()):
            n += 1
            task = asyncio.create_task(self.visit(self.rng.choice(self.people)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.stats

    async def _call(self, client: NationalClient, infno: str, body: dict[str, Any], insured: str = "") -> dict[str, Any] | None:
        began = time.perf_counter()
        try:
            reply = await client.call(infno, body, insuplc_admdvs=insured)
        except Exception:
            self.stats.errors += 1
            return None
        self.stats.latencies[infno].append(time.perf_counter() - began)
        if reply.get("infcode") != 0:
            self.stats.refused[infno] += 1
            return None
        return reply.get("output") or {}

    async def visit(self, person: Person) -> None:
        self.stats.visits += 1
        inst: Institution = self.rng.choice(self.hospitals[person.insured_region])
        his = self.clients[inst.fixmedins_code]
        found = await self._call(his, "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
        if found is None:
            return
        row = found["insuinfo"][0]
        insured = row["insuplc_admdvs"]
        now = f"{datetime.now():%Y-%m-%d %H:%M:%S}"
        reg = await self._call(his, "2201", {"data": {
            "psn_no": person.psn_no, "insutype": row["insutype"], "begntime": now, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person.certno, "ipt_otp_no": f"{time.time_ns()}"[-14:], "atddr_no": "D001",
            "dr_name": "医生", "dept_code": "0301", "dept_name": "内科", "caty": "A03"}}, insured)
        if reg is None:
            return
        mdtrt_id = reg["data"]["mdtrt_id"]
        if await self._call(his, "2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no,
                                                       "med_type": "11", "begntime": now},
                                          "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J06.900",
                                                        "diag_name": "急性上呼吸道感染"}]}, insured) is None:
            return
        lines = []
        for sn, entry in enumerate(self.rng.sample(self.items[inst.region], self.rng.randint(1, 3))):
            pric = (Decimal(entry.cap or 0) / 100 * Decimal(self.rng.choice(("0.5", "0.8", "1")))).quantize(Decimal("0.01"))
            cnt = Decimal(self.rng.randint(1, 3))
            lines.append({"feedetl_sn": f"L{sn}", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "chrg_bchno": "B1",
                          "med_list_codg": entry.med_list_codg, "medins_list_codg": entry.med_list_codg,
                          "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01"), ROUND_HALF_UP), "cnt": cnt,
                          "pric": pric, "fee_ocur_time": now, "rx_circ_flag": "0", "bilg_dept_codg": "0301",
                          "bilg_dept_name": "内科", "bilg_dr_codg": "D001", "bilg_dr_name": "医生", "hosp_appr_flag": "1"})
        uploaded = await self._call(his, "2204", {"feedetail": lines}, insured)
        if uploaded is None:
            return
        data = {"psn_no": person.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno, "med_type": "11",
                "medfee_sumamt": sum(Decimal(str(r["det_item_fee_sumamt"])) for r in uploaded["result"]),
                "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1", "acct_used_flag": "1",
                "insutype": row["insutype"]}
        if await self._call(his, "2206", {"data": data}, insured) is None:
            return
        posted = await self._call(his, "2207", {"data": data}, insured)
        if posted is None:
            return
        self.stats.settled += 1
        if self.rng.random() < 0.1:
            await self._call(his, "2208", {"data": {"setl_id": posted["setlinfo"]["setl_id"], "mdtrt_id": mdtrt_id,
                                                    "psn_no": person.psn_no}}, insured)
