"""Reconciliation (对账): the institution's record against the centre's, in totals (3201) and
settlement by settlement (3202).

A settlement counts in the period it was posted in, and its cancellation, negatively, in the period
the cancellation happened in: each is an entry of its own (`refd_setl_flag` 0 or 1), keyed by
`setl_id` (a cancellation keeps the setl_id of the settlement it cancels).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from libs.money import Fen
from services.gateway.domain import amounts
from services.gateway.domain.detail_file import DetailRow, yuan_text

AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")
BALANCED, UNBALANCED = "0", "1"


@dataclass(frozen=True)
class CentreEntry:
    """A settlement or cancellation as the centre (this gateway) posted it; amounts in fen, negative for a
    cancellation."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    msgid: str
    refd_setl_flag: str
    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen
    psn_cash_pay: Fen

    @property
    def key(self) -> tuple[str, str]:
        return self.setl_id, self.refd_setl_flag


@dataclass(frozen=True)
class ResultRow:
    """A row of the result file: the centre's amounts where the centre has the settlement, else the
    institution's; `memo` says what differs."""

    psn_no: str
    mdtrt_id: str
    setl_id: str
    msgid: str
    stmt_rslt: str
    refd_setl_flag: str
    memo: str
    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen

    def cells(self) -> tuple[str, ...]:
        """The row as the result file writes it (RESULT_COLUMNS' order)."""
        return (self.psn_no, self.mdtrt_id, self.setl_id, self.msgid, self.stmt_rslt, self.refd_setl_flag, self.memo,
                yuan_text(self.medfee_sumamt), yuan_text(self.fund_pay_sumamt), yuan_text(self.acct_pay))


def compare(centre: Iterable[CentreEntry], institution: Iterable[DetailRow]) -> Iterator[ResultRow]:
    """Every entry of either side once: the institution's in its order, then those only the centre has."""
    ours = {entry.key: entry for entry in centre}
    for row in institution:
        entry = ours.pop(row.key, None)
        if entry is None:
            yield ResultRow(row.psn_no, row.mdtrt_id, row.setl_id, "", UNBALANCED, row.refd_setl_flag,
                            f"中心无此结算 (missing at the centre): no {_what(row.refd_setl_flag)} {row.setl_id} "
                            "in this period", row.medfee_sumamt, row.fund_pay_sumamt, row.acct_pay)
            continue
        differ = [f"{name} 机构 {getattr(row, name)} / 中心 {getattr(entry, name)}" for name in ("mdtrt_id", "psn_no")
                  if getattr(row, name) != getattr(entry, name)]
        differ += [f"{name} 机构 {amounts.yuan(getattr(row, name))} / 中心 {amounts.yuan(getattr(entry, name))}"
                   for name in AMOUNTS if getattr(row, name) != getattr(entry, name)]
        yield _row(entry, UNBALANCED if differ else BALANCED, "; ".join(differ))
    for entry in ours.values():
        yield _row(entry, UNBALANCED, f"机构明细无此结算 (missing at the institution): {_what(entry.refd_setl_flag)} "
                                      f"{entry.setl_id} is not in the detail file")


def _what(flag: str) -> str:
    return "cancellation of settlement" if flag == "1" else "settlement"


def _row(entry: CentreEntry, result: str, memo: str) -> ResultRow:
    return ResultRow(entry.psn_no, entry.mdtrt_id, entry.setl_id, entry.msgid, result, entry.refd_setl_flag, memo,
                     entry.medfee_sumamt, entry.fund_pay_sumamt, entry.acct_pay)


@dataclass(frozen=True)
class Totals:
    """A period's totals, as 3201/3202 send them: settlements plus cancellations (negative), and their count."""

    medfee_sumamt: Fen = 0
    fund_pay_sumamt: Fen = 0
    acct_pay: Fen = 0
    psn_cash_pay: Fen = 0
    count: int = 0

    @classmethod
    def of(cls, entries: Iterable[CentreEntry]) -> Totals:
        t = [0, 0, 0, 0, 0]
        for e in entries:
            for i, value in enumerate((e.medfee_sumamt, e.fund_pay_sumamt, e.acct_pay, e.psn_cash_pay, 1)):
                t[i] += value
        return cls(*t)

    def differences(self, centre: Totals, labels: dict[str, str]) -> list[str]:
        """What the institution's totals (self) state otherwise than the centre's, one phrase each, the
        fields named by the request's labels ({label: field})."""
        return [f"{label}: 机构 {_show(name, getattr(self, name))} / 平台 {_show(name, getattr(centre, name))}"
                for label, name in labels.items() if getattr(self, name) != getattr(centre, name)]


def _show(name: str, value: int) -> str:
    return str(value) if name == "count" else str(amounts.yuan(value))
