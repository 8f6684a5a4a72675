"""Prepayment cover on the clearing desk, with docs/clearing.md's three regions (amounts in yuan × 100)."""

from __future__ import annotations

from services.console.domain.prepayment_cover import closed_cycle_cover, open_cycle_cover

CHANGSHA, TAIYUAN, GUIYANG = "430100", "140100", "520100"
# who owes whom, as clearing's bilateral totals: the institution statements of the documented cycle
BILATERAL = [
    {"insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": TAIYUAN, "amount": 5_000_00},
    {"insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": GUIYANG, "amount": 1_000_00},
    {"insuplc_admdvs": TAIYUAN, "mdtrtarea_admvs": CHANGSHA, "amount": 2_000_00},
    {"insuplc_admdvs": TAIYUAN, "mdtrtarea_admvs": GUIYANG, "amount": 4_000_00},
    {"insuplc_admdvs": GUIYANG, "mdtrtarea_admvs": CHANGSHA, "amount": 3_000_00},
]
BALANCES = {CHANGSHA: 1_500_00, GUIYANG: 800_00}


def test_changshas_prepayment_covers_its_net_taiyuan_is_short_and_guiyang_owes_nothing() -> None:
    cover = {c.admdvs: (c.net_payable, c.covered, c.shortfall, c.status) for c in open_cycle_cover(BILATERAL, BALANCES)}
    assert cover == {CHANGSHA: (1_000_00, 1_000_00, 0, "covered"),
                     TAIYUAN: (1_000_00, 0, 1_000_00, "short"),
                     GUIYANG: (0, 0, 0, "nothing_owed")}


def test_a_prepayment_smaller_than_the_net_covers_part_of_it_and_a_late_cancellation_reduces_what_is_owed() -> None:
    covers = open_cycle_cover([{"insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": TAIYUAN, "amount": 900_00}],
                              {CHANGSHA: 400_00, TAIYUAN: 0})
    cover = {c.admdvs: c for c in covers}[CHANGSHA]
    assert (cover.admdvs, cover.covered, cover.shortfall) == (CHANGSHA, 400_00, 500_00)
    cancelled = open_cycle_cover([{"insuplc_admdvs": CHANGSHA, "mdtrtarea_admvs": TAIYUAN, "amount": -50_00}], {})
    assert {c.admdvs: c.net_payable for c in cancelled} == {CHANGSHA: 0, TAIYUAN: 50_00}


def test_a_closed_cycle_shows_what_clearing_applied_and_the_cash_left_to_pay() -> None:
    positions = [{"admdvs": TAIYUAN, "net": -1_000_00, "prepayment_applied": 0, "cash_to_pay": 1_000_00},
                 {"admdvs": CHANGSHA, "net": -1_000_00, "prepayment_applied": 1_000_00, "cash_to_pay": 0},
                 {"admdvs": GUIYANG, "net": 2_000_00, "prepayment_applied": 0, "cash_to_pay": 0}]
    assert [c.view() for c in closed_cycle_cover(positions)] == [
        {"admdvs": TAIYUAN, "net_payable": 1_000_00, "covered": 0, "shortfall": 1_000_00, "status": "short"},
        {"admdvs": CHANGSHA, "net_payable": 1_000_00, "covered": 1_000_00, "shortfall": 0, "status": "covered"},
        {"admdvs": GUIYANG, "net_payable": 0, "covered": 0, "shortfall": 0, "status": "nothing_owed"}]
