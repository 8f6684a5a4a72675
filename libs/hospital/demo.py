"""`make demo`: what a HIS does, end to end: pre-settle, settle and cancel one outpatient visit.

An enrollment office first registers a fictitious employee over enrollment's HTTP API with an office
token, and credits their personal account (a HIS never does this; it is here so the demo has someone
to treat). Then the hospital:

1. builds the claim from its fee lines (national field names, amounts in yuan) and validates it,
2. pre-settles it (2206): the split as it would be, nothing posted,
3. settles it (2207): the funds pay, the personal account pays the patient's part,
4. reads the settled claim back over settlement's HTTP API with its own hospital token,
5. cancels it (2208).

The tokens are issued here with the platform's key from the secrets file, as `make token` does (the
demo runs on the platform's host; docs/security.md, Who issues tokens).
Copy `visit_claim` and `main` into a HIS: that is the whole integration.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, timedelta

import httpx

from libs.auth import Principal, Role, issue_token
from libs.china_time import his_now
from libs.contracts.claims import ClaimSubmitted
from libs.contracts.enrollment import RegisterPerson
from libs.contracts.envelope import new_envelope
from libs.contracts.registry import encode
from libs.contracts.topics import WALLET_COMMANDS
from libs.contracts.wallet import CreditPersonalAccount
from libs.hospital.bill import Visit, build_claim, cancel_request
from libs.hospital.client import HospitalClient, Outcome, OutcomeTimeout
from libs.hospital.reference import catalogue, schemes
from libs.messaging.connection import ActingProducer
from libs.money import fen_to_yuan, format_yuan
from libs.resident_id import with_check_character
from libs.retry import RetryPolicy, retry_transient
from libs.settings import StackSettings, service_url


def demo_scheme() -> tuple[str, str]:
    """An (insured region, insutype) the settlement engine has a policy pack for, employees preferred."""
    found = [(s.region, s.insutype) for s in schemes()]
    return next((s for s in found if s[1] == "310"), found[0])


class NotInsuredYet(Exception):
    """Settlement has not yet heard of the person enrolled a moment ago."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason_code)
        self.outcome = outcome


def api(service: str) -> str:
    return service_url(service)  # <SERVICE>_URL, else 127.0.0.1:<SERVICE>_HTTP_PORT (libs/settings.py)


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, ttl_s=600)}"}


async def enroll(bootstrap: str, prefix: str, psn_no: str, region: str, insutype: str) -> None:
    """The enrollment office's part (not the HIS's): register the person, credit their account."""
    born = date(1980, 1, 1) + timedelta(days=random.randrange(7000))
    certno = with_check_character(f"{region}{born:%Y%m%d}{random.randrange(0, 999, 2) + 1:03d}")
    registration = RegisterPerson(
        command_id=f"demo-{psn_no}", psn_no=psn_no, certno=certno, psn_name="演示", gend="1", brdy=born,
        insutype=insutype, insuplc_admdvs=region, emp_status="employed" if insutype == "310" else "none",
        begndate=date(2020, 1, 1))
    office = bearer(Principal("demo-office", Role.office, region=region))
    async with httpx.AsyncClient(base_url=api("enrollment"), headers=office, timeout=30) as http:
        answer = await http.post("/v1/persons", content=registration.model_dump_json(),
                                 headers={"content-type": "application/json"})
    if answer.status_code != 200:
        raise SystemExit(f"the enrollment office could not register the demo person: {answer.status_code} {answer.text}")
    if insutype != "310":
        return
    credit = CreditPersonalAccount(credit_id=f"demo-{psn_no}", psn_no=psn_no, amount=500_00, kind="contribution",
                                   year=his_now().year)
    producer = ActingProducer(bootstrap, acks="all")  # the credit as the admin tooling (the ACL table's actor)
    try:
        env = new_envelope(credit, producer="demo-office", correlation_id=f"demo-{psn_no}")
        await producer.send_and_wait(WALLET_COMMANDS, prefix + WALLET_COMMANDS.name, encode(env), key=psn_no.encode())
    finally:
        await producer.stop()


async def read_back(hospital: str, claim_id: str) -> None:
    """What the hospital reads of its own claim over HTTP, with its own token (another's is refused)."""
    async with httpx.AsyncClient(base_url=api("settlement"), timeout=30,
                                 headers=bearer(Principal(hospital, Role.hospital, institution=hospital))) as http:
        answer = await http.get(f"/v1/claims/{claim_id}")
    found = answer.json()
    print(f"\nread back over HTTP as {hospital}: {answer.status_code} "
          + (f"status {found['status']}, setl_id {found['setl_id']}" if answer.status_code == 200 else found.get("reason", "")))


def visit_claim(hospital: str, psn_no: str, region: str, insutype: str) -> ClaimSubmitted:
    """What a HIS has at the counter, turned into a validated claim (build_claim raises InvalidClaim)."""
    items = {i.kind: i for i in reversed(catalogue(region)) if i.chrgitm_lv == "1" and i.cap_fen}
    consult, drug = items.get("service"), items.get("drug")
    # the items kept all have a cap (`cap_fen`); it is checked again for the type checker
    fee_lines = [
        {"feedetl_sn": "1", "med_list_codg": consult.med_list_codg, "cnt": "1", "pric": fen_to_yuan(consult.cap_fen)},
        {"feedetl_sn": "2", "med_list_codg": drug.med_list_codg, "cnt": "3", "pric": fen_to_yuan(drug.cap_fen),
         "det_item_fee_sumamt": fen_to_yuan(3 * drug.cap_fen)},
    ] if consult and drug and consult.cap_fen and drug.cap_fen else [
        {"feedetl_sn": "1", "med_list_codg": "002501000010000", "cnt": "1", "pric": "10.00"}]
    visit = Visit(fixmedins_code=hospital, hosp_lv="3", mdtrt_id=f"MDT{uuid.uuid4().hex[:10]}", psn_no=psn_no,
                  insutype=insutype, med_type="11", insuplc_admdvs=region, mdtrtarea_admvs=region,
                  begntime=his_now())
    return build_claim(f"demo-{uuid.uuid4().hex[:12]}", visit, fee_lines)


def show(step: str, outcome: Outcome) -> None:
    """What the counter shows: the split in yuan, who pays what, and why."""
    p = outcome.payload
    print(f"\n{step}: {outcome.event_type}", flush=True)
    if outcome.event_type == "ClaimRejected":
        print(f"  {p.reason_code}: {p.reason}")
        return
    a = p.amounts
    print(f"  total {format_yuan(a.medfee_sumamt)}   funds {format_yuan(a.fund_pay_sumamt)}   "
          f"patient {format_yuan(a.psn_part_amt)} yuan"
          + (f" (personal account {format_yuan(p.acct_pay)}, cash {format_yuan(p.psn_cash_pay)})" if hasattr(p, "acct_pay") else ""))
    for line in getattr(p, "explanation", []):
        print(f"  - {line}")


async def main() -> None:
    settings = StackSettings()
    region, insutype = demo_scheme()
    hospital = f"H{region}00001"
    psn_no = f"DEMO{uuid.uuid4().hex[:8].upper()}"
    await enroll(settings.kafka_bootstrap, settings.topic_prefix, psn_no, region, insutype)
    print(f"enrolled {psn_no} (insutype {insutype}, region {region})"
          + (" and credited 500.00 yuan to their personal account" if insutype == "310" else ""))
    claim = visit_claim(hospital, psn_no, region, insutype)
    async with HospitalClient(settings.kafka_bootstrap, hospital, settings.topic_prefix) as his:
        async def presettle() -> Outcome:
            preview = await his.presettle(claim, timeout=30)
            if preview.reason_code == "NOT_INSURED":
                raise NotInsuredYet(preview)
            return preview

        try:  # the enrollment reaches the settlement engine within moments
            preview = await retry_transient(presettle, RetryPolicy(attempts=15, first_delay=0.2, max_delay=1.0),
                                            (NotInsuredYet,))
        except NotInsuredYet as still:
            preview = still.outcome
        show(f"pre-settled claim {claim.claim_id} at {hospital}", preview)
        settled = await his.settle(claim, timeout=30)
        show("settled", settled)
        if not settled.settled:
            return
        await read_back(hospital, claim.claim_id)
        try:
            show("cancelled", await his.cancel(cancel_request(claim, f"X{claim.claim_id}", "demo"), timeout=15))
        except OutcomeTimeout:
            print("\ncancel: no reply within 15 s (this platform version does not process cancellations yet)")


if __name__ == "__main__":
    asyncio.run(main())
