"""Facts for tests: regions, institutions and times that read like the worked examples."""

from __future__ import annotations

from datetime import datetime

from services.clearing.domain import CHINA_TIME, ClaimFact, claim_fact

CHANGSHA, LOUDI = "430100", "431300"  # Hunan
TAIYUAN = "140100"  # Shanxi
GUIYANG = "520100"  # Guizhou

TAIYUAN_HOSPITAL = "H14010000001"
GUIYANG_HOSPITAL = "H52010000001"
CHANGSHA_HOSPITAL = "H43010000001"
HOSPITAL_OF = {TAIYUAN: TAIYUAN_HOSPITAL, GUIYANG: GUIYANG_HOSPITAL, CHANGSHA: CHANGSHA_HOSPITAL, LOUDI: "H43130000001"}


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CHINA_TIME)


def settled(
    setl_id: str = "S1", *, insured: str = CHANGSHA, treatment: str = TAIYUAN, institution: str | None = None,
    funds: dict[str, int] | None = None, when: datetime | None = None,
) -> ClaimFact:
    rows = funds if funds is not None else {"hifp": 60_000, "hifmi": 5_000}
    return claim_fact(
        "settled", setl_id=setl_id, claim_id=f"C-{setl_id}", fixmedins_code=institution or HOSPITAL_OF.get(treatment, "H0"),
        insuplc_admdvs=insured, mdtrtarea_admvs=treatment, occurred_at=when or at(1, 10),
        fund_rows=list(rows.items()),
    )


def cancelled(original: ClaimFact, when: datetime | None = None) -> ClaimFact:
    """The cancellation of `original`: the same funds, taken back."""
    return claim_fact(
        "cancelled", setl_id=original.setl_id, claim_id=original.claim_id, fixmedins_code=original.fixmedins_code,
        insuplc_admdvs=original.insuplc_admdvs, mdtrtarea_admvs=original.mdtrtarea_admvs,
        occurred_at=when or original.occurred_at, fund_rows=list(original.funds),
    )
