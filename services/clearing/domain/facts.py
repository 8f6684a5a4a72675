"""The two facts clearing consumes, reduced to what clearing needs.

`ClaimSettled` and `ClaimCancelled` (libs/contracts/claims.py) become a `ClaimFact`: the claim's
evidence (setl_id, claim_id, fixmedins_code), its two regions, and what each fund paid (setldetail),
summed per fund type with zero rows left out. The settlement engine's records for reconciliation take
the same shape. A fact's idempotency key is (setl_id, kind).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from libs.money import Fen
from services.clearing.domain.errors import FundDetailMismatch, InvalidFundAmount
from services.clearing.domain.regions import ClearingScope, clearing_scope_of

if TYPE_CHECKING:
    from libs.contracts.claims import ClaimCancelled, ClaimSettled

FactKind = Literal["settled", "cancelled"]
FundAmounts = tuple[tuple[str, Fen], ...]

SIGN: dict[str, int] = {"settled": 1, "cancelled": -1}


@dataclass(frozen=True)
class ClaimFact:
    """A settled or cancelled claim: fund amounts are positive, `kind` says which way they go."""

    kind: FactKind
    setl_id: str
    claim_id: str
    fixmedins_code: str
    insuplc_admdvs: str
    mdtrtarea_admvs: str
    occurred_at: datetime
    funds: FundAmounts

    @property
    def key(self) -> tuple[str, str]:
        return (self.setl_id, self.kind)

    @property
    def scope(self) -> ClearingScope | None:
        return clearing_scope_of(self.insuplc_admdvs, self.mdtrtarea_admvs)

    @property
    def fund_total(self) -> Fen:
        return sum(amount for _, amount in self.funds)


def claim_fact(
    kind: FactKind, *, setl_id: str, claim_id: str, fixmedins_code: str, insuplc_admdvs: str,
    mdtrtarea_admvs: str, occurred_at: datetime, fund_rows: Iterable[tuple[str, Fen]],
    fund_pay_sumamt: Fen | None = None,
) -> ClaimFact:
    """Build a fact, checking its regions and that its fund rows add up to `fund_pay_sumamt`."""
    clearing_scope_of(insuplc_admdvs, mdtrtarea_admvs)
    funds = sum_per_fund(fund_rows, setl_id)
    if fund_pay_sumamt is not None:
        check_fund_rows_add_up(funds, fund_pay_sumamt, setl_id)
    return ClaimFact(
        kind, setl_id, claim_id, fixmedins_code, insuplc_admdvs, mdtrtarea_admvs, occurred_at, funds,
    )


def sum_per_fund(rows: Iterable[tuple[str, Fen]], setl_id: str) -> FundAmounts:
    """Fund rows summed per fund type, sorted, zero totals left out."""
    totals: dict[str, Fen] = {}
    for fund_pay_type, amount in rows:
        if type(amount) is not int or amount < 0:
            raise InvalidFundAmount(
                f"Settlement {setl_id}: fund {fund_pay_type} paid {amount!r}; a fund amount is whole fen, never negative."
            )
        totals[fund_pay_type] = totals.get(fund_pay_type, 0) + amount
    return tuple(sorted((fund, amount) for fund, amount in totals.items() if amount))


def check_fund_rows_add_up(funds: FundAmounts, fund_pay_sumamt: Fen, setl_id: str) -> None:
    total = sum(amount for _, amount in funds)
    if total != fund_pay_sumamt:
        raise FundDetailMismatch(
            f"Settlement {setl_id}: the fund rows add up to {total} fen but fund_pay_sumamt is {fund_pay_sumamt} fen."
        )


def fact_from_settled(message: ClaimSettled) -> ClaimFact:
    return claim_fact(
        "settled", setl_id=message.setl_id, claim_id=message.claim_id,
        fixmedins_code=message.fixmedins_code, insuplc_admdvs=message.insuplc_admdvs,
        mdtrtarea_admvs=message.mdtrtarea_admvs, occurred_at=message.setl_time,
        fund_rows=[(row.fund_pay_type, row.fund_payamt) for row in message.setldetail],
        fund_pay_sumamt=message.amounts.fund_pay_sumamt,
    )


def fact_from_cancelled(message: ClaimCancelled) -> ClaimFact:
    return claim_fact(
        "cancelled", setl_id=message.setl_id, claim_id=message.claim_id,
        fixmedins_code=message.fixmedins_code, insuplc_admdvs=message.insuplc_admdvs,
        mdtrtarea_admvs=message.mdtrtarea_admvs, occurred_at=message.cancel_time,
        fund_rows=[(row.fund_pay_type, row.fund_payamt) for row in message.setldetail],
        fund_pay_sumamt=message.amounts.fund_pay_sumamt,
    )
