"""The gateway's domain rules: code variants, yuan and fen, the per-line split, signatures, visits (the rate: test_rate_policy.py)."""

from __future__ import annotations

import hmac
from datetime import datetime
from decimal import Decimal

import pytest

from services.gateway.domain import amounts, codes, replies
from services.gateway.domain.errors import BadSignature, InvalidInput, Replayed, UnknownCode, VisitStateConflict
from services.gateway.domain.line_split import CatalogueEntry, split_line
from services.gateway.domain.signing import SM3, SignedRequest, signature
from services.gateway.domain.visit import OUTPATIENT, FeeLine, Person, Visit


@pytest.mark.parametrize(("sent", "platform"), [("11", "11"), ("12", "11"), ("2101", "21"), ("21", "21"), ("52", "52")])
def test_national_and_provincial_medical_types_map_to_the_platforms(sent: str, platform: str) -> None:
    assert codes.med_type(sent) == platform


@pytest.mark.parametrize("sent", ["9901", "53", "", "2"])
def test_a_medical_type_without_a_meaning_here_is_refused_by_name(sent: str) -> None:
    with pytest.raises(UnknownCode, match="med_type"):
        codes.med_type(sent)


def test_insurance_types_map_and_local_or_supplementary_ones_are_refused() -> None:
    assert [codes.insutype(x) for x in ("310", "390", "391", "510")] == ["310", "390", "390", "510"]
    for sent in ("39999", "320", "330"):
        with pytest.raises(UnknownCode, match="insutype"):
            codes.insutype(sent)


def test_catalogue_classes_read_in_both_spellings() -> None:
    assert [codes.chrgitm_lv(x) for x in ("01", "1", "02", "2", "03", "3")] == ["1", "1", "2", "2", "3", "3"]
    assert codes.national_chrgitm_lv("2") == "02"


@pytest.mark.parametrize(("sent", "fen"), [(Decimal("4.52"), 452), ("4.52", 452), (0, 0), (Decimal("200.0"), 20000),
                                           ("-25.1", -2510), (Decimal("26933.88"), 2693388)])
def test_yuan_amounts_become_fen_exactly(sent: object, fen: int) -> None:
    assert amounts.fen(sent, "x") == fen
    assert amounts.yuan(fen) == Decimal(str(sent))


def test_amounts_with_more_than_two_decimals_or_as_floats_are_refused() -> None:
    with pytest.raises(InvalidInput):
        amounts.fen(Decimal("4.525"), "det_item_fee_sumamt")
    with pytest.raises(InvalidInput):
        amounts.fen(4.52, "det_item_fee_sumamt")
    assert amounts.fen("", "x", required=False) is None and amounts.fen(None, "x", required=False) is None


def test_every_fen_amount_is_written_as_its_exact_two_decimal_number() -> None:
    for fen in (1, 10, 452, 2510, 99, 1_000_000_01, 12_345_678_901_23):
        written = amounts.yuan(fen)
        assert written is not None
        assert repr(float(written)) == (str(Decimal(fen) / 100).rstrip("0").rstrip(".") or "0")


def test_class_b_line_pays_its_ratio_first_rounded_half_up_as_the_hebei_reply() -> None:
    entry = CatalogueEntry("X", "2", Decimal("0.05"), None)
    s = split_line(452, Decimal(1), entry)
    assert (s.fulamt_ownpay_amt, s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt) == (0, 0, 23, 429)


def test_a_price_above_the_cap_goes_to_overlmt_and_the_ratio_applies_to_the_rest() -> None:
    entry = CatalogueEntry("X", "2", Decimal("0.10"), 1000)
    s = split_line(3600, Decimal(3), entry)  # 12.00 × 3 against a cap of 10.00
    assert (s.overlmt_amt, s.preselfpay_amt, s.inscp_scp_amt) == (600, 300, 2700) and s.total == 3600


def test_self_pay_items_and_codes_outside_the_catalogue_are_wholly_self_paid() -> None:
    assert split_line(1200, Decimal(1), CatalogueEntry("X", "3", Decimal(0), None)).fulamt_ownpay_amt == 1200
    s = split_line(500, Decimal(1), None)
    assert (s.chrgitm_lv, s.selfpay_prop, s.fulamt_ownpay_amt) == ("3", Decimal(1), 500)


def test_a_signature_over_timestamp_nonce_and_body_verifies_and_any_change_fails() -> None:
    secret, body = "s3cret", b'{"infno":"9001"}'
    signed = SignedRequest("app", "1700000000", "n" * 16, "HmacSHA256", signature(secret, "1700000000", "n" * 16, body))
    signed.check_signature(secret, body)
    with pytest.raises(BadSignature):
        signed.check_signature(secret, body + b" ")
    with pytest.raises(BadSignature):
        signed.check_signature("other", body)


def test_sm3_signatures_are_the_standard_hmac_sm3() -> None:
    expected = hmac.new(b"k", b"1\nnonce\nbody", "sm3").hexdigest() if "sm3" in __import__("hashlib").algorithms_available else None
    got = signature("k", "1", "nonce", b"body", SM3)
    assert len(got) == 64 and (expected is None or got == expected)


def test_a_timestamp_outside_the_window_is_a_replay() -> None:
    signed = SignedRequest("app", "1000", "n" * 16, "HmacSHA256", "x")
    signed.check_fresh(1200, 300)
    with pytest.raises(Replayed):
        signed.check_fresh(1400, 300)


def _visit() -> Visit:
    return Visit("H1", "300000001", OUTPATIENT, "P1", "310", "11", datetime(2026, 12, 5, 9), "371300", "371300", "02",
                 "OP1", Person("P1"))


def _line(sn: str, batch: str = "B1", cnt: str = "1", pric: str = "4.52", init: str | None = None) -> FeeLine:
    amount = amounts.fen((Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01")), "x")
    return FeeLine(sn, batch, "X1", "X1", Decimal(cnt), Decimal(pric), amount, None, init_feedetl_sn=init)


def test_a_line_uploaded_again_identically_is_a_retry_but_changed_it_is_refused() -> None:
    visit = _visit()
    visit.upload([_line("L1")])
    visit.upload([_line("L1")])
    with pytest.raises(InvalidInput, match="already uploaded"):
        visit.upload([_line("L1", pric="5.00")])


def test_a_line_whose_total_is_not_cnt_times_pric_is_refused() -> None:
    bad = FeeLine("L1", "B1", "X1", "X1", Decimal(2), Decimal("4.52"), 452, None)
    with pytest.raises(InvalidInput, match="det_item_fee_sumamt"):
        _visit().upload([bad])


def test_settled_lines_cannot_be_deleted_and_a_cancelled_settlement_gives_a_new_claim_id() -> None:
    visit = _visit()
    visit.upload([_line("L1"), _line("L2", batch="B2")])
    first = visit.claim_id("B1")
    visit.mark_settled(visit.batch("B1"), first)
    with pytest.raises(VisitStateConflict):
        visit.delete("B1")
    assert visit.delete("B2") == ["L2"]
    visit.release(first)
    assert visit.claim_id("B1") != first and visit.claim_id("B1").endswith(":g1")


def test_a_refund_line_must_name_an_uploaded_charge() -> None:
    visit = _visit()
    with pytest.raises(InvalidInput, match="init_feedetl_sn"):
        visit.upload([_line("R1", cnt="-1", init="L9")])


def test_the_reply_identities_hold_for_a_split_and_its_cancellation() -> None:
    amounts_: dict[str, int | Decimal] = {"medfee_sumamt": 10000, "fulamt_ownpay_amt": 1000, "overlmt_selfpay": 0, "preselfpay_amt": 500,
                "inscp_scp_amt": 8500, "act_pay_dedc": 1000, "hifp_pay": 6000, "hifmi_pay": 0, "hifob_pay": 0,
                "maf_pay": 0, "oth_pay": 0, "fund_pay_sumamt": 6000, "psn_part_amt": 4000, "pool_prop_selfpay": Decimal("0.8")}
    split = replies.Split(amounts_, [("310100", 6000)], 3000, 0, 1000, 5000, "S1", datetime(2026, 12, 5, 10))
    for sign in (1, -1):
        info = replies.setlinfo(_visit(), split, national_med_type="11", medins_setl_id="M1", posted=True, sign=sign)
        assert replies.identities_hold(info) == []
    rows = replies.setldetail(split)
    assert [(r["fund_pay_type"], r["fund_payamt"]) for r in rows] == [("310100", 6000), ("310200", 3000)]


def test_refunds_take_back_their_share_of_the_charge_and_all_of_it_once_every_unit_is_refunded() -> None:
    from services.gateway.domain.line_split import split_refund

    charge = split_line(3520, Decimal(4), CatalogueEntry("X", "2", Decimal("0.05"), None))  # 8.80 × 4, 乙类
    first = split_refund(-880, Decimal(-1), charge, Decimal(4), Decimal(0))
    assert (first.preselfpay_amt, first.inscp_scp_amt, first.total) == (-44, -836, -880)
    rest = split_refund(-2640, Decimal(-3), charge, Decimal(4), Decimal(1))
    assert first.preselfpay_amt + rest.preselfpay_amt == -charge.preselfpay_amt
    assert first.inscp_scp_amt + rest.inscp_scp_amt == -charge.inscp_scp_amt
