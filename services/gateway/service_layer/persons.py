"""The person as the gateway's replies show them, from enrollment's person query (masked identity), and
the person a credential (mdtrt_cert_type 01/02/03) names."""

from __future__ import annotations

import time
from typing import Any

from services.gateway.adapters.platform_http import PlatformUnavailable
from services.gateway.adapters.repository import PgGatewayStore
from services.gateway.domain import codes
from services.gateway.domain.errors import InvalidInput, Refusal
from services.gateway.domain.visit import Person
from services.gateway.service_layer import e_vouchers
from services.gateway.service_layer.call import Call, text
from services.gateway.service_layer.deps import Deps


def person_of(found: dict[str, Any]) -> Person:
    cov = found["coverage"]
    return Person(psn_no=cov["psn_no"], certno_masked=found.get("certno"), psn_name_masked=found.get("psn_name"),
                  gend=cov.get("gend"), age=cov.get("age"),
                  psn_type=codes.psn_type(cov["insutype"], bool(cov.get("retired")), int(cov.get("age") or 0)),
                  insuplc_admdvs=cov.get("insuplc_admdvs"))


def remember(deps: Deps, found: dict[str, Any]) -> None:
    """Keep what 1101 found for a moment: the registration that follows needs no second query."""
    if len(deps.recent_persons) > 50_000:
        deps.recent_persons.clear()
    deps.recent_persons[found["coverage"]["psn_no"]] = (time.monotonic() + deps.recent_person_s, found)


async def find_person(deps: Deps, psn_no: str) -> tuple[Person, dict[str, Any]]:
    until, found = deps.recent_persons.get(psn_no, (0.0, None))
    if found is not None and until > time.monotonic():
        return person_of(found), found["coverage"]
    try:
        found = await deps.queries.person(psn_no)
    except PlatformUnavailable:
        raise Refusal("人员信息暂时无法查询 (the person register did not answer); send the same request again",
                      "TRY_AGAIN") from None
    if found is None:
        raise InvalidInput(f"人员编号 psn_no {psn_no} 未参保 (is not insured on this platform); look the person up with 1101")
    return person_of(found), found["coverage"]


async def balance(deps: Deps, psn_no: str) -> int | None:
    try:
        return await deps.queries.balance(psn_no)
    except PlatformUnavailable:
        return None


async def by_credential(deps: Deps, call: Call, data: dict[str, Any]) -> dict[str, Any]:
    """1101's person: by credential (01 e-voucher token, 02 resident ID card, 03 social-security card,
    whose number is the holder's ID number; card_sn is not checked, docs/hospital-integration.md) or by
    certificate (psn_cert_type 01 + certno)."""
    cert_type = str(data.get("mdtrt_cert_type") or "").strip()
    if not cert_type and str(data.get("psn_cert_type") or "").strip() == "01":
        value = text(data, "certno", required=False, max_length=50)
    else:
        codes.cert_type(cert_type)
        value = text(data, "mdtrt_cert_no", required=False, max_length=50)
    if not value:
        raise InvalidInput("mdtrt_cert_no 就诊凭证编号 (or psn_cert_type 01 + certno) 必填 (is required)")
    try:
        if cert_type == e_vouchers.E_VOUCHER:
            async with deps.database.transaction() as tx:
                voucher = await e_vouchers.resolve(deps, deps.store_for(tx), call.code, value)
            found = await deps.queries.person(voucher.psn_no)
        else:  # 02, 03 (the card number is the ID number) and a certificate: by the ID number
            found = await deps.queries.person_by_certno(value.upper())
    except PlatformUnavailable:
        raise Refusal("人员信息暂时无法查询 (the person register did not answer); send 1101 again", "TRY_AGAIN") from None
    if found is None:
        raise Refusal("未查询到参保信息 (no insured person with this credential on this platform)", "UNKNOWN_PERSON")
    return found


async def check_credential(deps: Deps, call: Call, data: dict[str, Any], psn_no: str,
                           store: PgGatewayStore | None = None) -> None:
    """A transaction naming mdtrt_cert_type 01 carries a current e-voucher of the visit's person: the
    token is resolved again (in `store`'s transaction when given), so an expired one is refused."""
    if str(data.get("mdtrt_cert_type") or "").strip() != e_vouchers.E_VOUCHER:
        return
    token = text(data, "mdtrt_cert_no", max_length=50)
    if store is None:
        async with deps.database.transaction() as tx:
            voucher = await e_vouchers.resolve(deps, deps.store_for(tx), call.code, token)
    else:
        voucher = await e_vouchers.resolve(deps, store, call.code, token)
    voucher.check_person(psn_no)
