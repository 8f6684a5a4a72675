"""Valid test people: resident IDs with correct check characters, enrollment commands, credits."""

from __future__ import annotations

from datetime import date

from libs.contracts.enrollment import RegisterPerson
from libs.contracts.wallet import CreditPersonalAccount
from libs.resident_id import with_check_character
from tests.support.claims import REGION_OF_SCHEME


def resident_id(region: str, birth: date, seq: int, male: bool = True) -> str:
    seq = seq % 500 * 2 + (1 if male else 0)  # 17th digit: odd for men
    return with_check_character(f"{region}{birth:%Y%m%d}{seq:03d}")


def register(psn_no: str, seq: int, *, insutype: str = "310", region: str | None = None,
             male: bool = True, retired: bool = False) -> RegisterPerson:
    region = region or REGION_OF_SCHEME[insutype]
    birth = date(1960 if retired else 1985, 3, 1 + seq % 28)
    return RegisterPerson(
        command_id=f"reg-{psn_no}", psn_no=psn_no, certno=resident_id(region, birth, seq, male),
        psn_name="测试人员", gend="1" if male else "2", brdy=birth, insutype=insutype,
        insuplc_admdvs=region, emp_status="retired" if retired else ("employed" if insutype == "310" else "none"),
        begndate=date(2020, 1, 1),
    )


def credit(psn_no: str, amount: int) -> CreditPersonalAccount:
    return CreditPersonalAccount(credit_id=f"credit-{psn_no}", psn_no=psn_no, amount=amount,
                                 kind="contribution", year=2026)
