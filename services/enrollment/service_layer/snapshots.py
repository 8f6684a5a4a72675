"""The person's coverage view published as `CoverageChanged`, field by field, with a rising version.

The version counts publications, not domain events: the snapshot of an unchanged person can still
change with the calendar (coverage starts or ends, a birthday), and `refresh` republishes it then.
The view is taken on the command's day, never earlier than the day the last snapshot described.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from libs.contracts import enrollment as w
from libs.contracts.envelope import Envelope
from libs.contracts.topics import ENROLLMENT_EVENTS
from libs.messaging.emit import emit
from libs.messaging.ports import Transaction
from services.enrollment.domain import CoverageView
from services.enrollment.service_layer.ports import EnrollmentStore, StoredPerson

PRODUCER = "enrollment"
_NOT_CONTENT = ("version", "as_of")


def coverage_changed(view: CoverageView, version: int) -> w.CoverageChanged:
    return w.CoverageChanged(
        psn_no=view.psn_no, version=version, insutype=view.scheme.value, insuplc_admdvs=view.insured_region,
        gend=view.sex.value, age=max(view.age, 0), active=view.active,
        coverage_begin=view.coverage_begins_on, coverage_end=view.coverage_ends_on, waiting_until=view.waiting_until,
        retired=view.retired, emp_status=view.employment_status.value,
        hardship_group=view.hardship_group.value,
        continuous_years=view.continuous_years, no_claim_years=view.no_claim_years,
        chronic_approvals=[
            w.ChronicApproval(opsp_dise_code=a.disease_code, begndate=a.valid_from, enddate=a.valid_until)
            for a in view.chronic_approvals
        ],
        special_drugs=[
            w.SpecialDrugDesignation(
                med_list_codg=s.drug_code, fixmedins_codes=[*s.hospital_codes, *s.pharmacy_codes],
                bilg_dr_codg=s.doctor_code, begndate=s.valid_from, enddate=s.valid_until,
            )
            for s in view.special_drugs
        ],
        filings=[
            w.CrossRegionFiling(filing_id=f.filing_id, kind=f.kind.value, mdtrtarea_admvs=f.treatment_area,
                                begndate=f.valid_from, enddate=f.valid_until)
            for f in view.filings
        ],
        family_psn_nos=list(view.relatives), maternity=view.maternity, as_of=view.on,
    )


def _content(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k not in _NOT_CONTENT}


@dataclass(frozen=True)
class SnapshotDecision:
    """What a change means for the person's published snapshot: remember `body` under `version` for
    day `on`, and publish `changed` unless it is None (the content is the same, only the day moved on)."""

    psn_no: str
    version: int
    body: dict[str, Any]
    on: date
    changed: w.CoverageChanged | None


def decide_snapshot(stored: StoredPerson, today: date, *, only_if_changed: bool = False) -> SnapshotDecision:
    """The next snapshot of the person; pure, so the batch path can decide many before writing any."""
    on = max(today, stored.snapshot_on) if stored.snapshot_on else today
    psn_no = stored.person.state.psn_no
    snapshot = coverage_changed(stored.person.view(on), stored.snapshot_version + 1)
    body = snapshot.model_dump(mode="json")
    if only_if_changed and stored.snapshot is not None and _content(body) == _content(stored.snapshot):
        return SnapshotDecision(psn_no, stored.snapshot_version, {**stored.snapshot, "as_of": on.isoformat()}, on, None)
    return SnapshotDecision(psn_no, snapshot.version, body, on, snapshot)


def emit_snapshot(tx: Transaction, decision: SnapshotDecision, *, correlation_id: str,
                  causation: Envelope[Any] | None) -> None:
    if decision.changed is not None:
        emit(tx, ENROLLMENT_EVENTS, decision.psn_no, decision.changed, producer=PRODUCER,
             correlation_id=correlation_id, causation=causation)


async def publish_snapshot(
    store: EnrollmentStore, tx: Transaction, stored: StoredPerson, today: date, *,
    correlation_id: str, causation: Envelope[Any] | None, only_if_changed: bool = False,
) -> int:
    """Queue the person's snapshot on `enrollment.events` and remember it; return its version.

    With `only_if_changed`, a snapshot whose content equals the last one published is not sent again
    (settled claims, the daily refresh); the day it describes is still moved on.
    """
    decision = decide_snapshot(stored, today, only_if_changed=only_if_changed)
    emit_snapshot(tx, decision, correlation_id=correlation_id, causation=causation)
    await store.save_snapshot(decision.psn_no, decision.version, decision.body, decision.on)
    return decision.version
