"""What every enrollment store must do; subclassed for the in-memory store and for Postgres."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.enrollment.domain import EnrollResident, LinkRelative, Relation
from services.enrollment.domain.errors import DuplicateIdNumber, PersonAlreadyRegistered
from services.enrollment.service_layer.ports import CommandRecord, EnrollmentStore, RegisteredClaim
from services.enrollment.tests.unit.builders import PREMIUM, next_id, person, policy


class StoreContract:
    """Subclasses provide a `store` fixture: a fresh store inside a transaction that is thrown away."""

    async def test_an_unknown_person_is_not_found(self, store: EnrollmentStore) -> None:
        assert await store.get_person("NOBODY") is None

    async def test_a_registered_person_comes_back_rebuilt_from_their_events(self, store: EnrollmentStore) -> None:
        someone = person()
        someone.handle(LinkRelative(command_id=next_id(), psn_no=someone.state.psn_no, relative_psn_no="P-MUM",
                                    relation=Relation.PARENT), policy())
        await store.add_person(someone)
        stored = await store.get_person(someone.state.psn_no)
        assert stored is not None and stored.person.state == someone.state
        assert (stored.stored_events, stored.snapshot_version, stored.snapshot) == (2, 0, None)

    async def test_events_appended_later_are_replayed_in_order(self, store: EnrollmentStore) -> None:
        someone = person()
        await store.add_person(someone)
        later = someone.handle(EnrollResident(command_id=next_id(), psn_no=someone.state.psn_no, coverage_year=2026,
                                              paid_on=date(2025, 11, 1), cash_amount=PREMIUM), policy())
        await store.append_events(someone.state.psn_no, later, after=1)
        stored = await store.get_person(someone.state.psn_no)
        assert stored is not None and stored.person.state == someone.state and stored.stored_events == 1 + len(later)

    async def test_a_second_person_with_the_same_id_number_is_refused(self, store: EnrollmentStore) -> None:
        await store.add_person(person())
        with pytest.raises(DuplicateIdNumber):
            await store.add_person(person())

    async def test_a_person_is_found_by_their_id_number(self, store: EnrollmentStore) -> None:
        someone = person()
        await store.add_person(someone)
        assert await store.psn_no_by_certno(someone.state.id_number) == someone.state.psn_no
        assert await store.psn_no_by_certno(person(born=date(1970, 1, 2)).state.id_number) is None

    async def test_the_same_person_number_twice_is_refused(self, store: EnrollmentStore) -> None:
        someone = person()
        await store.add_person(someone)
        again = person(person_id=uuid.UUID(hex=someone.state.psn_no), born=date(1991, 1, 1))  # another ID number
        with pytest.raises(PersonAlreadyRegistered):
            await store.add_person(again)

    async def test_a_command_record_is_found_by_its_id(self, store: EnrollmentStore) -> None:
        done = CommandRecord("c-done", "EnrollResident", "P1", "hash-1", version=3)
        refused = CommandRecord("c-refused", "LinkRelative", "P1", "hash-2", reason_code="RELATION_TO_SELF", reason="No.")
        for record in (done, refused):
            await store.record_command(record)
        assert await store.get_command("c-done") == done and not done.refused
        assert await store.get_command("c-refused") == refused and refused.refused
        assert await store.get_command("c-other") is None
        await store.lock_command("c-done")

    async def test_the_last_snapshot_is_kept_and_older_days_are_listed_as_stale(self, store: EnrollmentStore) -> None:
        old, fresh = person(), person(born=date(1980, 2, 2))
        for someone, on in ((old, date(2026, 1, 1)), (fresh, date(2026, 6, 1))):
            await store.add_person(someone)
            await store.save_snapshot(someone.state.psn_no, 1, {"psn_no": someone.state.psn_no, "version": 1}, on)
        stored = await store.get_person(old.state.psn_no)
        assert stored is not None and (stored.snapshot_version, stored.snapshot_on) == (1, date(2026, 1, 1))
        assert stored.snapshot == {"psn_no": old.state.psn_no, "version": 1}
        assert await store.stale_snapshots(date(2026, 6, 1), 10) == [old.state.psn_no]

    async def test_the_register_of_fund_payments_keeps_claims_cancellations_and_year_totals(
            self, store: EnrollmentStore) -> None:
        someone = person()
        await store.add_person(someone)
        psn_no = someone.state.psn_no
        empty = await store.read_claim_register([psn_no, "NOBODY"], ["K1"], [(psn_no, 2026)])
        assert (empty.known_persons, empty.claims, empty.year_totals) == (frozenset({psn_no}), {}, {})
        k1, k2 = RegisteredClaim("K1", psn_no, 2026, 1_000), RegisteredClaim("K2", psn_no, 2025, 0, cancel_id="X2")
        await store.write_claim_register([k1, k2], [], {(psn_no, 2026): 1_000, (psn_no, 2025): 0})
        await store.write_claim_register([], [RegisteredClaim("K1", psn_no, 2026, 1_000, cancel_id="X1")],
                                         {(psn_no, 2026): 0})
        # a claim's own year is read even when only the claim is named (a cancellation does not say its year)
        read = await store.read_claim_register([psn_no], ["K1", "K2"], [])
        assert read.claims == {"K1": RegisteredClaim("K1", psn_no, 2026, 1_000, cancel_id="X1"), "K2": k2}
        assert read.year_totals == {(psn_no, 2026): 0, (psn_no, 2025): 0}
