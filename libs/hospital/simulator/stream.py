"""A seeded stream of visits, each a small script of requests a HIS sends.

Outpatient, emergency, pharmacy, chronic (门慢门特) and special-drug (特药) visits settle at once;
inpatient and delivery stays are pre-settled at discharge (2303) and then settled (2304). Around
them: patients treated outside their insured region (with and without a filing), cancellations of
settled claims (2208), network duplicates (the same message twice), HIS retries (the same claim in a
new message), claims for people who are not insured, and a small share of malformed messages.
The same seed and clock give the same claims (ids are `<run_tag><sequence>`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from libs.contracts.claims import ClaimCancelRequested, ClaimSubmitted
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.hospital.bill import Visit, build_claim, cancel_request
from libs.hospital.simulator import bills
from libs.hospital.simulator.population import Institution, Person, Population

MIX = {"outpatient": 38, "emergency": 4, "pharmacy": 22, "chronic": 10, "special_drug": 2, "inpatient": 8,
       "prenatal": 3, "delivery": 1}
MED_TYPE = {"outpatient": "11", "emergency": "13", "pharmacy": "41", "chronic": "14", "special_drug": "15",
            "inpatient": "21", "prenatal": "51", "delivery": "52"}
LEVELS = {  # where each kind of visit happens, weighted by level
    "outpatient": {"primary": 35, "1": 25, "2": 20, "3": 15, "provincial": 5},
    "emergency": {"2": 40, "3": 45, "provincial": 15},
    "chronic": {"primary": 30, "1": 25, "2": 25, "3": 20},
    "special_drug": {"3": 70, "provincial": 30},
    "inpatient": {"primary": 15, "1": 20, "2": 30, "3": 28, "provincial": 7},
    "prenatal": {"1": 30, "2": 40, "3": 30},
    "delivery": {"2": 40, "3": 45, "provincial": 15},
}
DIAGNOSES = {"outpatient": ["J06.900", "K29.700", "M54.500", "I10.x00"], "emergency": ["S09.900", "R10.400", "J18.900"],
             "inpatient": ["K35.800", "J18.900", "I63.900", "S72.000"], "delivery": ["O80.000", "O82.000"],
             "prenatal": ["Z34.900"]}


@dataclass(frozen=True)
class Rates:
    """Shares of the extras, per visit."""

    cancel: float = 0.02  # cancel the claim once it is settled
    duplicate: float = 0.02  # the same message delivered twice
    resend: float = 0.01  # the HIS sends the claim again in a new message (a retry)
    unknown_person: float = 0.01  # NOT_INSURED
    trip: float = 0.02  # treated while travelling in another region (no filing)
    malformed: float = 0.005
    presettle_outpatient: float = 0.05
    presettle_inpatient: float = 0.8


@dataclass
class Step:
    """One message. `when`: first, with_previous (right after the one before), or after:<EventType>."""

    when: str
    request: ClaimSubmitted | ClaimCancelRequested | None = None
    raw: bytes | None = None  # a malformed message, sent as it is
    key: str = ""

    @property
    def operation(self) -> str:
        if self.request is None:
            return "malformed"
        return "cancel" if isinstance(self.request, ClaimCancelRequested) else self.request.action


@dataclass
class Scenario:
    seq: int
    kind: str
    steps: list[Step]
    cross_region: bool = False
    filed: bool = False
    tags: tuple[str, ...] = field(default=())


class TrafficStream:
    def __init__(self, population: Population, seed: int, *, run_tag: str, clock: datetime,
                 mix: dict[str, int] | None = None, rates: Rates | None = None) -> None:
        self.population, self.run_tag, self.clock = population, run_tag, clock.replace(microsecond=0)
        self.rng = random.Random(seed)
        self.mix = mix or MIX
        self.rates = rates or Rates()
        self.seq = 0
        people = population.people
        self._chronic = [p for p in people if p.chronic_disease]
        self._special = [p for p in people if p.special_drug]
        self._mothers = [p for p in people if p.gend == "2" and 20 <= p.age_on(self.clock.date()) <= 42]

    def __iter__(self) -> Iterator[Scenario]:
        while True:
            yield self.next()

    def take(self, n: int) -> list[Scenario]:
        return [self.next() for _ in range(n)]

    def next(self) -> Scenario:
        self.seq += 1
        rng = self.rng
        kind = rng.choices(list(self.mix), list(self.mix.values()))[0]
        if rng.random() < self.rates.malformed:
            return self._malformed(kind)
        claim, person, tags = self._claim(kind)
        steps: list[Step] = []
        inpatient = kind in ("inpatient", "delivery")
        if rng.random() < (self.rates.presettle_inpatient if inpatient else self.rates.presettle_outpatient):
            steps.append(Step("first", claim.model_copy(update={"action": "presettle"}), key=claim.psn_no))
        steps.append(Step("after:ClaimPreSettled" if steps else "first", claim, key=claim.psn_no))
        if rng.random() < self.rates.duplicate:
            steps.append(Step("same_message", claim, key=claim.psn_no))
            tags += ("duplicate",)
        elif rng.random() < self.rates.resend:
            steps.append(Step("with_previous", claim, key=claim.psn_no))
            tags += ("resend",)
        if rng.random() < self.rates.cancel:
            steps.append(Step("after:ClaimSettled", cancel_request(claim, f"X{claim.claim_id}", "patient asked to re-settle"),
                              key=claim.psn_no))
            tags += ("cancel",)
        cross = claim.insuplc_admdvs != claim.mdtrtarea_admvs
        return Scenario(self.seq, kind, steps, cross, bool(person and person.filed and cross), tags)

    def probe(self, person: Person) -> ClaimSubmitted:
        """An ordinary outpatient claim of `person` at home (to ask whether the platform knows them)."""
        claim, _, _ = self._claim("outpatient", person, extras=False)
        return claim

    # -- one visit -----------------------------------------------------------------------------

    def _claim(self, kind: str, person: Person | None = None,
               extras: bool = True) -> tuple[ClaimSubmitted, Person | None, tuple[str, ...]]:
        rng = self.rng
        person = person or self._patient(kind)
        region = person.home_region
        tags: tuple[str, ...] = ()
        if extras and rng.random() < self.rates.trip:
            region = rng.choice(self.population.treatment_regions)
            tags += ("trip",)
        where = self._institution(kind, region, person)
        s = bills.shelf(region)
        days = rng.randint(2, 12) if kind == "inpatient" else rng.randint(2, 5)
        lines = {
            "outpatient": lambda: bills.outpatient(rng, s), "emergency": lambda: bills.outpatient(rng, s, emergency=True),
            "pharmacy": lambda: bills.pharmacy(rng, s), "chronic": lambda: bills.chronic(rng, s, person.chronic_disease or ""),
            "special_drug": lambda: bills.special_drug(rng, s, person.special_drug), "inpatient": lambda: bills.inpatient(rng, s, days),
            "prenatal": lambda: bills.prenatal(rng, s), "delivery": lambda: bills.delivery(rng, s, days),
        }[kind]()
        psn_no, insured = person.psn_no, person.insured_region
        if extras and rng.random() < self.rates.unknown_person:
            psn_no = rng.choice(self.population.unknown_people)
            tags += ("not_insured",)
        stay = kind in ("inpatient", "delivery")
        end = self.clock - timedelta(minutes=rng.randint(0, 240))
        begin = max(end - timedelta(days=days, hours=rng.randint(0, 12)), end.replace(month=1, day=1, hour=0, minute=0)) if stay else end
        claim_id = f"{self.run_tag}{self.seq:07d}"
        visit = Visit(
            fixmedins_code=where.fixmedins_code, fixmedins_type=where.fixmedins_type, hosp_lv=where.hosp_lv,
            mdtrt_id=f"MDT{claim_id}", psn_no=psn_no, insutype=person.insutype, med_type=MED_TYPE[kind],
            insuplc_admdvs=insured, mdtrtarea_admvs=region, begntime=begin, endtime=end if stay else None,
            dise_codg=rng.choice(DIAGNOSES.get(kind, DIAGNOSES["outpatient"])),
            opsp_dise_code=person.chronic_disease if kind == "chronic" else None,
            bilg_dr_codg=self._doctor(person, region) if kind == "special_drug" else None,
            acct_used_flag=person.insutype == "310" and rng.random() < 0.85,
        )
        return build_claim(claim_id, visit, lines), person, tags

    def _patient(self, kind: str) -> Person:
        pool = {"chronic": self._chronic, "special_drug": self._special, "prenatal": self._mothers,
                "delivery": self._mothers}.get(kind) or self.population.people
        return self.rng.choice(pool)

    def _doctor(self, person: Person, region: str) -> str:
        fixed = person.special_drug
        return fixed.doctor if fixed and self.rng.random() < 0.95 else f"D{region}{self.rng.randint(1, 40):04d}"

    def _institution(self, kind: str, region: str, person: Person) -> Institution:
        fixed = person.special_drug
        if kind == "special_drug" and fixed and region == person.home_region and self.rng.random() < 0.95:
            code = fixed.pharmacy if self.rng.random() < 0.5 else fixed.hospital
            return next(i for i in self.population.institutions[region] if i.fixmedins_code == code)
        if kind == "pharmacy" or (kind == "special_drug" and self.rng.random() < 0.5):
            pharmacies = self.population.pharmacies(region)
            if pharmacies:
                return self.rng.choice(pharmacies)
        levels = LEVELS.get(kind, LEVELS["outpatient"])
        level = self.rng.choices(list(levels), list(levels.values()))[0]
        hospitals = self.population.hospitals(region, (level,)) or self.population.hospitals(region)
        return self.rng.choice(hospitals)

    # -- malformed -----------------------------------------------------------------------------

    def _malformed(self, kind: str) -> Scenario:
        claim, _, _ = self._claim("pharmacy" if kind == "pharmacy" else "outpatient")
        variant = self.rng.choice(["not_json", "wrong_type", "unknown_event", "no_payload", "bad_amount"])
        if variant == "bad_amount":  # a valid message whose bill does not add up: the engine refuses it
            lines = list(claim.fee_details)
            lines[0] = lines[0].model_copy(update={"det_item_fee_sumamt": lines[0].det_item_fee_sumamt + 1})
            bad = claim.model_copy(update={"fee_details": lines})
            return Scenario(self.seq, "malformed", [Step("first", bad, key=claim.psn_no)], tags=(variant,))
        value = encode(new_envelope(claim, producer=claim.fixmedins_code, correlation_id=claim.claim_id,
                                    event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4), occurred_at=self.clock))
        raw = mangle(value, variant)
        return Scenario(self.seq, "malformed", [Step("first", raw=raw, key=claim.psn_no)], tags=(variant,))


def mangle(value: bytes, variant: str) -> bytes:
    if variant == "not_json":
        return value[: len(value) // 2]
    data: dict[str, Any] = orjson.loads(value)
    if variant == "wrong_type":
        data["payload"]["hosp_lv"] = 42
    elif variant == "unknown_event":
        data["event_type"] = "ClaimTeleported"
    elif variant == "no_payload":
        del data["payload"]
    return orjson.dumps(data)

