"""The detail reconciliation (3202): the detail file read line by line, compared with the centre's entries,
and the result file written as the institution reads it."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from services.gateway.domain import amounts
from services.gateway.domain.detail_file import (
    DetailFile,
    FileTooLarge,
    Limits,
    MalformedFile,
    uploaded_bytes,
    write_result,
    yuan_text,
)
from services.gateway.domain.errors import InvalidInput
from services.gateway.domain.statement import CentreEntry, Totals, compare

LIMITS = Limits()
TEXT = ("S1\tM1\tP1\t10.00\t6.00\t4.00\t0\n"
        "S2\tM2\tP2\t4.52\t0\t4.52\t0\n"
        "S2\tM2\tP2\t-4.52\t0\t-4.52\t1\n")


def zipped(text: bytes, name: str = "detail.txt") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def rows(content: bytes, limits: Limits = LIMITS) -> list:
    return list(DetailFile(content, limits).rows())


def entry(setl_id: str, medfee: int, fund: int, acct: int, flag: str = "0", mdtrt_id: str = "M1",
          psn_no: str = "P1") -> CentreEntry:
    return CentreEntry(setl_id, mdtrt_id, psn_no, f"MSG-{setl_id}-{flag}", flag, medfee, fund, acct, medfee - fund - acct)


def test_a_file_arrives_as_a_byte_array_as_java_signed_bytes_or_as_base64() -> None:
    content = "S1\t中文".encode()
    assert uploaded_bytes(list(content), 1024) == content
    assert uploaded_bytes([b - 256 if b > 127 else b for b in content], 1024) == content
    assert uploaded_bytes(base64.b64encode(content).decode(), 1024) == content


def test_a_file_above_the_limit_is_refused_saying_so() -> None:
    with pytest.raises(FileTooLarge, match="more than the 1024"):
        uploaded_bytes([0] * 1025, 1024)
    with pytest.raises(FileTooLarge):
        uploaded_bytes(base64.b64encode(bytes(2000)).decode(), 1024)


def test_values_that_are_not_bytes_are_refused_by_position() -> None:
    with pytest.raises(InvalidInput, match=r"in\[1\]"):
        uploaded_bytes([1, 300, 2], 1024)
    with pytest.raises(InvalidInput, match="required"):
        uploaded_bytes(None, 1024)


def test_a_plain_and_a_zipped_file_read_the_same_rows_with_cancellations_negative() -> None:
    plain = rows(TEXT.encode())
    assert plain == rows(zipped(TEXT.encode()))
    assert [(r.setl_id, r.refd_setl_flag, r.medfee_sumamt, r.acct_pay) for r in plain] == [
        ("S1", "0", 1000, 400), ("S2", "0", 452, 452), ("S2", "1", -452, -452)]


@pytest.mark.parametrize("cell", ["0", "4.5", "4.52", "-25.1", "0.05", "-0.05", "1200", "+3.10", "1E+2", "007.00"])
def test_amounts_in_the_file_read_exactly_as_the_interface_reads_them(cell: str) -> None:
    [row] = rows(f"S1\tM1\tP1\t{cell}\t0\t0\t0\n".encode())
    assert row.medfee_sumamt == amounts.fen(cell, "medfee_sumamt")
    assert yuan_text(row.medfee_sumamt) == f"{amounts.yuan(row.medfee_sumamt):.2f}"


def test_a_cancellation_written_with_positive_amounts_reads_as_the_amounts_given_back() -> None:
    [row] = rows(b"S2\tM2\tP2\t4.52\t0\t4.52\t1\r\n")
    assert (row.medfee_sumamt, row.acct_pay) == (-452, -452)


def test_a_gbk_file_with_a_header_crlf_and_extra_columns_is_read() -> None:
    text = "setl_id\tmdtrt_id\tpsn_no\tmedfee_sumamt\tfund_pay_sumamt\tacct_pay\trefd_setl_flag\t备注\r\n" \
           "S1\tM1\tP1\t10.00\t6.00\t4.00\t0\t门诊\r\n\r\n"
    detail = DetailFile(text.encode("gbk"), LIMITS)
    assert detail.is_gbk() and [r.setl_id for r in detail.rows()] == ["S1"]
    assert not DetailFile(text.encode(), LIMITS).is_gbk()


@pytest.mark.parametrize(("line", "says"), [
    ("S1\tM1\tP1\t10.00\t6.00\t4.00", "6 tab-separated columns"),
    ("S1\tM1\tP1\t10.005\t6.00\t4.00\t0", "two decimals"),
    ("S1\tM1\tP1\tten\t6.00\t4.00\t0", "not a number"),
    ("S1\tM1\tP1\t10.00\t6.00\t4.00\t2", "refd_setl_flag"),
    ("\tM1\tP1\t10.00\t6.00\t4.00\t0", "setl_id"),
])
def test_a_malformed_line_is_refused_by_its_number(line: str, says: str) -> None:
    content = ("S0\tM0\tP0\t1\t0\t1\t0\n" + line + "\n").encode()
    with pytest.raises(MalformedFile, match=f"line 2.*{says}"):
        rows(content)


def test_a_settlement_listed_twice_is_refused_naming_both_lines() -> None:
    with pytest.raises(MalformedFile, match=r"line 3.*first on line 1"):
        rows(b"S1\tM1\tP1\t1\t0\t1\t0\nS2\tM1\tP1\t1\t0\t1\t0\nS1\tM1\tP1\t1\t0\t1\t0\n")


def test_lines_and_rows_are_bounded() -> None:
    with pytest.raises(MalformedFile, match=r"line 1.*longer than 40 bytes"):
        rows(b"S1\tM1\tP1\t" + b"1" * 40 + b"\t0\t1\t0\n", Limits(max_line=40))
    with pytest.raises(MalformedFile, match="more rows than accepted"):
        rows(b"".join(b"S%d\tM\tP\t1\t0\t1\t0\n" % i for i in range(3)), Limits(max_rows=2))
    with pytest.raises(MalformedFile, match="more lines than accepted"):
        rows(zipped(b"\n" * 10_000), Limits(max_rows=2))


def test_a_damaged_zip_or_a_zip_of_two_files_is_refused() -> None:
    with pytest.raises(MalformedFile, match="cannot be read"):
        rows(zipped(TEXT.encode())[:60])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", TEXT)
        archive.writestr("b.txt", TEXT)
    with pytest.raises(MalformedFile, match="holds 2 files"):
        rows(buffer.getvalue())


def test_matching_records_balance_row_by_row() -> None:
    centre = [entry("S1", 1000, 600, 400), entry("S2", 452, 0, 452, mdtrt_id="M2", psn_no="P2"),
              entry("S2", -452, 0, -452, "1", mdtrt_id="M2", psn_no="P2")]
    result = list(compare(centre, rows(TEXT.encode())))
    assert [(r.setl_id, r.refd_setl_flag, r.stmt_rslt, r.memo) for r in result] == [
        ("S1", "0", "0", ""), ("S2", "0", "0", ""), ("S2", "1", "0", "")]
    assert result[2].msgid == "MSG-S2-1"


def test_a_changed_amount_a_missing_and_an_extra_settlement_are_each_one_unbalanced_row_saying_what() -> None:
    centre = [entry("S1", 1200, 600, 400), entry("S3", 300, 0, 300)]
    institution = rows(b"S1\tM1\tP1\t10.00\t6.00\t4.00\t0\nS9\tM9\tP9\t1.00\t0\t1.00\t0\n")
    result = {r.setl_id: r for r in compare(centre, institution)}
    assert result["S1"].stmt_rslt == "1" and result["S1"].memo == "medfee_sumamt 机构 10.00 / 中心 12.00"
    assert result["S9"].stmt_rslt == "1" and "missing at the centre" in result["S9"].memo
    assert result["S3"].stmt_rslt == "1" and "missing at the institution" in result["S3"].memo
    assert result["S3"].cells() == ("P1", "M1", "S3", "MSG-S3-0", "1", "0", result["S3"].memo, "3.00", "0.00", "3.00")


def test_period_totals_count_cancellations_negatively_and_name_each_difference() -> None:
    centre = Totals.of([entry("S1", 1000, 600, 400), entry("S1", -1000, -600, -400, "1")])
    assert centre == Totals(0, 0, 0, 0, 2)
    sent = Totals(medfee_sumamt=1000, count=1)
    assert sent.differences(centre, {"medfee_sumamt": "medfee_sumamt", "fixmedins_setl_cnt": "count"}) == [
        "medfee_sumamt: 机构 10.00 / 平台 0.00", "fixmedins_setl_cnt: 机构 1 / 平台 2"]


def test_the_result_file_is_zipped_and_encoded_as_the_upload_was() -> None:
    lines = [("P1", "M1", "S1", "MSG", "1", "0", "中心无此结算", "1.00", "0.00", "1.00")]
    archive = zipfile.ZipFile(io.BytesIO(write_result(lines, zipped=True, member="R1.txt", gbk=True)))
    assert archive.read("R1.txt").decode("gbk") == "\t".join(lines[0]) + "\r\n"
    assert write_result(lines, zipped=False, member="R1.txt", gbk=False).decode() == "\t".join(lines[0]) + "\r\n"
