"""The files of the detail reconciliation (3202): the institution's detail file in, the result file out.

The detail file (对明细账文件) is text, one settlement a line, tab-separated:
`setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag`, amounts in
yuan, the flag 0 settlement / 1 cancellation; further columns are ignored, an optional first line of
column names is skipped. It arrives zipped (one member) or plain, each line UTF-8 or GBK. It is read
line by line from the stored bytes, never decompressed whole, with every line and the row count
bounded; a line that cannot be read is refused by its number.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import secrets
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from libs.money import Fen
from services.gateway.domain import amounts
from services.gateway.domain.errors import InvalidInput

COLUMNS = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "refd_setl_flag")
RESULT_COLUMNS = ("psn_no", "mdtrt_id", "setl_id", "msgid", "stmt_rslt", "refd_setl_flag", "memo", "medfee_sumamt",
                  "fund_pay_sumamt", "acct_pay")
SETTLEMENT, CANCELLATION = "0", "1"
ZIP_MAGIC = b"PK\x03\x04"
PLAIN_YUAN = re.compile(r"(-?)(\d{1,13})(?:\.(\d{1,2}))?")  # what nearly every line holds: read without Decimal


class FileTooLarge(InvalidInput):
    code = "FILE_TOO_LARGE"


class MalformedFile(InvalidInput):
    code = "MALFORMED_FILE"


@dataclass(frozen=True)
class Limits:
    """How much a file may hold: bytes as uploaded, rows, bytes a line; and how long it is kept."""

    max_bytes: int = 4 << 20
    max_rows: int = 200_000
    max_line: int = 1024
    keep_s: float = 3 * 86_400.0


@dataclass(frozen=True)
class DetailRow:
    """One settlement (or cancellation) as the institution lists it; amounts in fen, a cancellation's negative."""

    line_no: int
    setl_id: str
    mdtrt_id: str
    psn_no: str
    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen
    refd_setl_flag: str

    @property
    def key(self) -> tuple[str, str]:
        return self.setl_id, self.refd_setl_flag


def query_no(kind: str, now: datetime) -> str:
    """A file's query number (文件查询号): U upload / R result, the time, 14 random hex digits (29 characters:
    not guessable, though a guess would find another institution's file refused anyway)."""
    return ("U" if kind == "upload" else "R") + f"{now:%Y%m%d%H%M%S}" + secrets.token_hex(7)


def uploaded_bytes(value: object, limit: int) -> bytes:
    """`fsUploadIn.in`: a JSON array of byte values (0..255, or -128..127 as Java's signed bytes) or a
    base64 string; refused above `limit` bytes."""
    if isinstance(value, str):
        if len(value) > (limit + 2) // 3 * 4 + 4:
            raise FileTooLarge(_too_large(len(value) * 3 // 4, limit))
        try:
            content = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("fsUploadIn.in is neither a byte array nor base64 text") from None
    elif isinstance(value, list):
        if len(value) > limit:
            raise FileTooLarge(_too_large(len(value), limit))
        content = _byte_array(value)
    else:
        raise InvalidInput("fsUploadIn.in 文件数据 必填 (is required): the file's bytes, a JSON array or base64 text")
    if not content:
        raise InvalidInput("fsUploadIn.in is empty: the file has no bytes")
    if len(content) > limit:
        raise FileTooLarge(_too_large(len(content), limit))
    return content


def _byte_array(values: list[object]) -> bytes:
    try:
        return bytes(values)  # type: ignore[arg-type]  # the common case, at C speed
    except (TypeError, ValueError):
        pass
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or not -128 <= v <= 255:
            raise InvalidInput(f"fsUploadIn.in[{i}] = {str(v)[:20]!r} is not a byte (0..255, or -128..127)")
    return bytes(v & 0xFF for v in values)  # type: ignore[operator]


def _too_large(size: int, limit: int) -> str:
    return (f"文件过大 (the file has {size} bytes, more than the {limit} accepted): zip it, or reconcile a shorter "
            "period")


def is_zip(content: bytes) -> bool:
    return content.startswith(ZIP_MAGIC)


class DetailFile:
    """The rows of a stored detail file, read as they are iterated (`rows()`)."""

    def __init__(self, content: bytes, limits: Limits) -> None:
        self.content, self.limits = content, limits
        self.zipped = is_zip(content)

    def rows(self) -> Iterator[DetailRow]:
        seen: dict[tuple[str, str], int] = {}
        count = 0
        for line_no, line in self._lines():
            if not line.strip():
                continue
            if count == 0 and line.split("\t", 1)[0].strip().lower() == "setl_id":
                continue  # the column names
            row = _row(line_no, line)
            if row.key in seen:
                raise MalformedFile(f"{_at(line_no)}: 结算 setl_id {row.setl_id} (refd_setl_flag {row.refd_setl_flag}) "
                                    f"is listed twice, first on line {seen[row.key]}")
            count += 1
            if count > self.limits.max_rows:
                raise MalformedFile(f"明细文件超过 {self.limits.max_rows} 行 (more rows than accepted): reconcile a "
                                    "shorter period")
            seen[row.key] = line_no
            yield row

    def is_gbk(self) -> bool:
        """Whether a line is not UTF-8 (then read as GBK): a first pass over the raw lines, so that the
        result file can be written in the institution's encoding from its first row."""
        return any(not _is_utf8(raw) for _, raw in self._raw_lines())

    def _lines(self) -> Iterator[tuple[int, str]]:
        for line_no, raw in self._raw_lines():
            yield line_no, self._decode(line_no, raw)

    def _raw_lines(self) -> Iterator[tuple[int, bytes]]:
        try:
            with self._open() as stream:
                line_no = 0
                while raw := stream.readline(self.limits.max_line + 3):
                    line_no += 1
                    if line_no > 2 * self.limits.max_rows + 1:  # blank lines are bounded too
                        raise MalformedFile(f"明细文件超过 {2 * self.limits.max_rows} 行 (more lines than accepted)")
                    text = raw.rstrip(b"\r\n")
                    if line_no == 1:
                        text = text.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
                    if len(text) > self.limits.max_line:
                        raise MalformedFile(f"{_at(line_no)}: longer than {self.limits.max_line} bytes")
                    yield line_no, text
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise MalformedFile(f"明细文件无法解压 (the zip cannot be read: {type(exc).__name__}); send it again") from None

    def _open(self) -> IO[bytes]:
        if not self.zipped:
            return io.BytesIO(self.content)
        archive = zipfile.ZipFile(io.BytesIO(self.content))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise MalformedFile(f"the zip holds {len(members)} files: put the detail file alone in it")
        return archive.open(members[0])

    @staticmethod
    def _decode(line_no: int, text: bytes) -> str:
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            return text.decode("gb18030")
        except UnicodeDecodeError:
            raise MalformedFile(f"{_at(line_no)}: neither UTF-8 nor GBK text") from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _at(line_no: int) -> str:
    return f"明细文件第 {line_no} 行 (line {line_no})"


def _row(line_no: int, line: str) -> DetailRow:
    cells = [c.strip() for c in line.split("\t")]
    if len(cells) < len(COLUMNS):
        raise MalformedFile(f"{_at(line_no)}: {len(cells)} tab-separated columns, expected {len(COLUMNS)}: "
                            + ", ".join(COLUMNS))
    for name, cell in zip(COLUMNS[:3], cells[:3], strict=True):
        if not cell or len(cell) > 30:
            raise MalformedFile(f"{_at(line_no)}: {name} must have 1 to 30 characters")
    flag = cells[6]
    if flag not in (SETTLEMENT, CANCELLATION):
        raise MalformedFile(f"{_at(line_no)}: refd_setl_flag {flag[:10]!r} must be 0 (settlement) or 1 (cancellation)")
    try:
        money = [_fen(cell, name) for name, cell in zip(COLUMNS[3:6], cells[3:6], strict=True)]
    except InvalidInput as exc:
        raise MalformedFile(f"{_at(line_no)}: {exc.message}") from None
    if flag == CANCELLATION and all(m >= 0 for m in money):
        money = [-m for m in money]  # a cancellation written as the amounts it gives back
    return DetailRow(line_no, cells[0], cells[1], cells[2], money[0], money[1], money[2], flag)


def _fen(cell: str, name: str) -> Fen:
    """A yuan amount as fen: plain digits at once (a file holds 600,000 of them), anything else as the
    interface reads an amount (and refuses it by name)."""
    plain = PLAIN_YUAN.fullmatch(cell)
    if plain is None:
        return amounts.fen(cell, name)
    sign, whole, cents = plain.groups()
    value = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -value if sign else value


def yuan_text(amount: Fen) -> str:
    """Fen as the file's two-decimal yuan ("-4.52", "0.00")."""
    whole, cents = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}{whole}.{cents:02d}"


def write_result(lines: Iterable[tuple[str, ...]], *, zipped: bool, member: str, gbk: bool) -> bytes:
    """The result file: one tab-separated line a row, CRLF, in the upload's encoding, zipped if it was."""
    encoding = "gb18030" if gbk else "utf-8"
    buffer = io.BytesIO()
    if zipped:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as out:
            _write(out, lines, encoding)
    else:
        _write(buffer, lines, encoding)
    return buffer.getvalue()


def _write(out: IO[bytes], lines: Iterable[tuple[str, ...]], encoding: str) -> None:
    for cells in lines:
        out.write(("\t".join(cells) + "\r\n").encode(encoding, errors="replace"))
