"""What every settlement store must do, through the port only; subclassed for each implementation.

Subclasses name the error their store raises for a key stored twice (`duplicate_key_error`: the
database's unique violation, or the fake's own) and provide `open_store`: an async factory
`open_store(claims)` giving a fresh store inside a transaction that is thrown away, loaded for the
submitted claims it will serve (the per-message store ignores them), and `written(store)`: make what the
store holds back be written (the set-based store writes at `flush`). Every test reads back through a
second store, so it sees what was written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from libs.contracts.claims import ClaimSubmitted
from services.settlement.domain import AccumulatorDelta, Accumulators, LargeExam, Posting
from services.settlement.domain.ledger import UnbalancedPostings
from services.settlement.domain.settlement_claim import Kind, Settled, Status
from tests.support.claims import outpatient_claim

DAY = date(2026, 6, 1)
CT = "002103000010000"


def someone() -> str:
    return f"SC{uuid.uuid4().hex[:12]}"


def submitted(psn_no: str, claim_id: str | None = None, day: date = DAY) -> ClaimSubmitted:
    return outpatient_claim(claim_id or f"C{uuid.uuid4().hex[:12]}", psn_no, insutype="390",
                            when=datetime(day.year, day.month, day.day, 9))


def claim_row(claim: ClaimSubmitted, setl_id: str, *, kind: str = "direct") -> dict:
    delta = AccumulatorDelta(year=2026, service_date=DAY, pooling_paid=500, admissions=1)
    postings = [Posting("fund:430100:pooling:expense", debit=500), Posting("payable:430100:H1", credit=500)]
    return {"claim_id": claim.claim_id, "body_hash": "h", "setl_id": setl_id, "psn_no": claim.psn_no,
            "fixmedins_code": claim.fixmedins_code, "insutype": "390", "med_type": "11", "insuplc_admdvs": "430100",
            "mdtrtarea_admvs": "430100", "kind": kind, "office_ref": "REF1" if kind == "reimbursement" else None,
            "setl_year": 2026, "begntime": claim.begntime, "amounts": {"medfee_sumamt": 1000},
            "setldetail": [], "explanation": ["why"], "accumulator_delta": delta,
            "postings": tuple(postings)}


class StoreContract:
    duplicate_key_error: type[Exception]

    @pytest.fixture
    def written(self):
        """Most stores write as they go; the set-based one overrides this with its flush."""
        async def written(store):
            return None
        return written

    async def test_the_newest_coverage_snapshot_is_kept(self, open_store, written) -> None:
        psn = someone()
        store = await open_store([submitted(psn)])
        assert await store.upsert_coverage(psn, 2, {"v": 2})
        assert not await store.upsert_coverage(psn, 1, {"v": 1})
        await written(store)
        assert await (await open_store([submitted(psn)])).get_coverage(psn) == {"v": 2}

    async def test_a_stored_claim_comes_back_as_the_aggregate_of_its_row(self, open_store, written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        assert await store.get_claim(claim.claim_id) is None
        await store.insert_claim(claim_row(claim, "S-" + claim.claim_id))
        await written(store)
        stored = await (await open_store([claim])).get_claim(claim.claim_id)
        assert stored is not None and (stored.status, stored.kind, stored.setl_id) == (
            Status.ADJUDICATED, Kind.DIRECT, "S-" + claim.claim_id)
        assert stored.settlement_delta().pooling_paid == 500 and stored.settlement_delta().admissions == 1
        assert stored.postings == (Posting("fund:430100:pooling:expense", 500, 0), Posting("payable:430100:H1", 0, 500))

    async def test_a_claim_id_is_stored_once(self, open_store, written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        await store.insert_claim(claim_row(claim, "S1-" + claim.claim_id))
        with pytest.raises(self.duplicate_key_error):
            await store.insert_claim(claim_row(claim, "S2-" + claim.claim_id))
            await written(store)

    async def test_a_delta_moves_the_years_counters_the_days_pooling_and_the_large_exams(self, open_store, written) -> None:
        psn = someone()
        claim = submitted(psn)
        store = await open_store([claim])
        before = await store.accumulators(psn, 2026, DAY, for_update=True)
        assert before.counters() == {"year": 2026} | dict.fromkeys(before.counters().keys() - {"year"}, 0)
        delta = AccumulatorDelta(year=2026, service_date=DAY, pooling_paid=700, outpatient_pooling_paid=30,
                                 outpatient_pooling_paid_on_day=30, large_exams_added=(LargeExam(CT, DAY),))
        await _apply(store, psn, "S-a", delta)
        await _apply(store, psn, "S-b", AccumulatorDelta(year=2026, service_date=DAY, pooling_paid=1))
        await written(store)
        after = await (await open_store([claim])).accumulators(psn, 2026, DAY, for_update=True)
        assert (after.pooling_paid, after.outpatient_pooling_paid, after.outpatient_pooling_paid_on_day) == (701, 30, 30)
        assert after.large_exams == (LargeExam(CT, DAY),)

    async def test_a_negated_delta_restores_the_accumulators_exactly(self, open_store, written) -> None:
        psn = someone()
        claim = submitted(psn)
        store = await open_store([claim])
        delta = AccumulatorDelta(year=2026, service_date=DAY, deductible_paid=120000, admissions=1,
                                 outpatient_pooling_paid_on_day=20, large_exams_added=(LargeExam(CT, DAY),))
        await _apply(store, psn, "S-c", delta)
        await written(store)
        again = await open_store([claim])
        await _apply(again, psn, "S-c", delta.negated())
        await written(again)
        restored = await (await open_store([claim])).accumulators(psn, 2026, DAY, for_update=True)
        assert restored == Accumulators.empty(2026)

    async def test_the_accumulators_are_stored_as_the_domain_left_them_not_recomputed(self, open_store, written) -> None:
        psn = someone()
        claim = submitted(psn)
        store = await open_store([claim])
        await store.accumulators(psn, 2026, DAY, for_update=True)
        delta = AccumulatorDelta(year=2026, service_date=DAY, pooling_paid=5, outpatient_pooling_paid_on_day=5)
        stated = Accumulators(year=2026, pooling_paid=123, admissions=2, outpatient_pooling_paid_on_day=45)
        await store.write_accumulators(psn, "S-d", stated, delta)
        await written(store)
        assert await (await open_store([claim])).accumulators(psn, 2026, DAY, for_update=True) == stated

    async def test_exams_outside_the_window_are_not_read(self, open_store, written) -> None:
        psn = someone()
        far, near = date(2026, 1, 2), date(2026, 5, 20)
        store = await open_store([submitted(psn, day=far), submitted(psn, day=near)])
        for day in (far, near):
            await _apply(store, psn, f"S-{day}", AccumulatorDelta(year=2026, service_date=day,
                                                                   large_exams_added=(LargeExam(CT, day),)))
        await written(store)
        seen = await (await open_store([submitted(psn)])).accumulators(psn, 2026, DAY, for_update=False)
        assert seen.large_exams == (LargeExam(CT, near),)

    async def test_a_sold_traceability_code_is_known_until_released(self, open_store, written) -> None:
        code = f"TR-{uuid.uuid4().hex}"
        claim = submitted(someone())
        claim.fee_details[0].drug_trac_codg.append(code)
        store = await open_store([claim])
        assert await store.sold_codes([code]) == frozenset()
        await store.record_sold("S-t", (code,))
        assert await store.sold_codes([code]) == {code}
        await written(store)
        reader = await open_store([claim])
        assert await reader.sold_codes([code]) == {code}
        await reader.release_sold("S-t")
        assert await (await open_store([claim])).sold_codes([code]) == frozenset()

    async def test_settled_claims_are_stored_with_their_fund_entries_and_added_postings_in_one_write(self, open_store, written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        await store.insert_claim(claim_row(claim, "S-" + claim.claim_id, kind="reimbursement"))
        await written(store)
        settler = await open_store([claim])
        held = await _locked_all(settler, [claim.claim_id, "C-not-held"])
        assert list(held) == [claim.claim_id]
        aggregate = held[claim.claim_id]
        aggregate.wallet_paid({"acct_pay": 5, "acct_mulaid_pay": 0, "psn_cash_pay": 495, "balc": 0})  # postings added
        (event,) = aggregate.pull_events()
        rows = await settler.save_settled([(aggregate, event)])
        assert rows[claim.claim_id]["status"] == "settled" and rows[claim.claim_id]["settled_at"] is not None
        reread = await _locked_all(await open_store([claim]), [claim.claim_id])
        assert reread[claim.claim_id].status is Status.SETTLED and reread[claim.claim_id].postings == aggregate.postings
        assert await settler.save_settled([]) == {}

    async def test_settled_entries_that_do_not_balance_are_refused_before_anything_is_written(self, open_store,
                                                                                            written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        await store.insert_claim(claim_row(claim, "S-" + claim.claim_id))
        await written(store)
        settler = await open_store([claim])
        aggregate = (await _locked_all(settler, [claim.claim_id]))[claim.claim_id]
        aggregate.status = Status.SETTLED
        with pytest.raises(UnbalancedPostings):
            await settler.save_settled([(aggregate, Settled((Posting("a", debit=2), Posting("b", credit=1)), {}))])
        assert (await _locked_all(await open_store([claim]), [claim.claim_id]))[claim.claim_id].status is Status.ADJUDICATED

    async def test_entries_that_do_not_balance_are_refused(self, open_store, written) -> None:
        store = await open_store([submitted(someone())])
        with pytest.raises(UnbalancedPostings):
            await store.post_entries("S-u", "settle", [Posting("a", debit=2), Posting("b", credit=1)])

    async def test_a_status_change_is_stored_with_what_came_with_it(self, open_store, written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        await store.insert_claim(claim_row(claim, "S-" + claim.claim_id, kind="reimbursement"))
        await written(store)
        saver = await open_store([claim])
        stored = await _locked(saver, claim.claim_id)
        stored.status = Status.SETTLED
        stored.paid_out = True
        row = await saver.save(stored, payout={"bank_ref": "B", "amount": 500})
        assert row["status"] == "settled" and row["paid_out_at"] is not None
        reread = await _locked(await open_store([claim]), claim.claim_id)
        assert reread.paid_out and reread.kind is Kind.REIMBURSEMENT and reread.status is Status.SETTLED

    async def test_a_receipt_is_reimbursed_once_until_released(self, open_store, written) -> None:
        receipt = f"R-{uuid.uuid4().hex}"
        store = await open_store([submitted(someone())])
        assert await store.reimbursed_receipts([receipt]) == frozenset()
        await store.record_receipts("MR-1", [receipt])
        assert await store.reimbursed_receipts([receipt]) == {receipt}
        await store.release_receipts("MR-1")
        assert await store.reimbursed_receipts([receipt]) == frozenset()

    async def test_a_visit_settled_directly_is_found_by_person_institution_and_day(self, open_store, written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        await store.insert_claim(claim_row(claim, "S-" + claim.claim_id))
        await written(store)
        finder = await open_store([claim])
        assert await finder.direct_settlement_of_visit(claim.psn_no, claim.fixmedins_code, claim.begntime) == "S-" + claim.claim_id
        assert await finder.direct_settlement_of_visit(claim.psn_no, "H-OTHER", claim.begntime) is None
        assert await finder.direct_settlement_of_visit(claim.psn_no, claim.fixmedins_code,
                                                       datetime(2026, 6, 2, 9)) is None

    async def test_a_visit_an_office_reimbursed_is_found_by_person_institution_and_day(self, open_store,
                                                                                      written) -> None:
        claim = submitted(someone())
        store = await open_store([claim])
        row = claim_row(claim, "S-" + claim.claim_id, kind="reimbursement")
        await store.insert_claim(row | {"office_ref": "REF-1"})
        await written(store)
        finder = await open_store([claim])
        assert await finder.reimbursement_of_visit(claim.psn_no, claim.fixmedins_code, claim.begntime) == "REF-1"
        assert await finder.reimbursement_of_visit(claim.psn_no, "H-OTHER", claim.begntime) is None
        assert await finder.reimbursement_of_visit(claim.psn_no, claim.fixmedins_code, datetime(2026, 6, 2, 9)) is None
        assert await finder.direct_settlement_of_visit(claim.psn_no, claim.fixmedins_code, claim.begntime) is None


async def _locked(store, claim_id: str):
    """The claim, locked where the store can lock (the set-based store serves reads from its run only)."""
    try:
        return await store.get_claim(claim_id, for_update=True)
    except LookupError:
        return await store.get_claim(claim_id)


async def _apply(store, psn_no: str, setl_id: str, delta: AccumulatorDelta) -> None:
    """As the service layer moves the accumulators: read them locked, let the domain apply the delta."""
    before = await store.accumulators(psn_no, delta.year, delta.service_date, for_update=True)
    await store.write_accumulators(psn_no, setl_id, before.apply(delta), delta)


async def _locked_all(store, claim_ids: list[str]):
    """The claims, locked where the store can lock."""
    try:
        return await store.get_claims(claim_ids, for_update=True)
    except LookupError:
        return await store.get_claims(claim_ids)
