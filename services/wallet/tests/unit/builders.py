"""Small builders so each test states only what matters to its rule."""

from __future__ import annotations

from datetime import datetime

from services.wallet.domain import (
    CHINA_TIME,
    Binding,
    InsuranceStatus,
    PayPersonalPart,
    PersonalAccount,
    RefundPersonalPart,
    Relation,
    Use,
    WalletPolicy,
)

POLICY = WalletPolicy()
HOSPITAL = "H43010500001"


def cst(year: int = 2025, month: int = 3, day: int = 1, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """A time on the China clock."""
    return datetime(year, month, day, hour, minute, second, tzinfo=CHINA_TIME)


def account(psn_no: str, *, prior: int = 0, current: int = 0, wallet: int = 0, year: int = 2025) -> PersonalAccount:
    return PersonalAccount(psn_no, year=year, prior_years=prior, current_year=current, wallet=wallet)


def locked(*accounts: PersonalAccount) -> dict[str, PersonalAccount]:
    return {a.psn_no: a for a in accounts}


def binding(holder: str, member: str, *uses: Use, bound_at: datetime | None = None,
            relation: Relation = Relation.SPOUSE) -> Binding:
    return Binding(holder, member, relation, frozenset(uses or (Use.MEDICAL, Use.PREMIUM)), bound_at or cst(2024, 1, 1))


def employee(psn_no: str, *, insured: bool = True) -> InsuranceStatus:
    return InsuranceStatus(psn_no, insured=insured, has_personal_account=True)


def resident(psn_no: str, *, insured: bool = True) -> InsuranceStatus:
    return InsuranceStatus(psn_no, insured=insured, has_personal_account=False)


def claim(setl_id: str, psn_no: str, amount: int, *, used: bool = True, at: datetime | None = None,
          claim_id: str | None = None, fixmedins_code: str = HOSPITAL) -> PayPersonalPart:
    return PayPersonalPart(claim_id or f"C-{setl_id}", setl_id, psn_no, fixmedins_code, amount, used, at or cst())


def cancel(setl_id: str, psn_no: str, *, cancel_id: str = "X1", at: datetime | None = None,
           claim_id: str | None = None, fixmedins_code: str = HOSPITAL) -> RefundPersonalPart:
    return RefundPersonalPart(
        claim_id or f"C-{setl_id}", cancel_id, setl_id, psn_no, fixmedins_code, at or cst(2025, 3, 2))
