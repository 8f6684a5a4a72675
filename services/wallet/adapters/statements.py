"""A person's statement read a page at a time at the database (docs/security.md, Paging).

A statement's lines run a balance from the person's first posting, so the running balance is a window
sum computed by Postgres; only the page's lines (the newest `limit` before the cursor) come back,
newest page first, each page oldest line first. The balances are summed in the same statement, so a
page and its balances are consistent even while money moves. What it computes is what
`domain.statements` computes over the whole journal (a test holds the two equal).
"""

from __future__ import annotations

from typing import Any

from libs.contracts import wallet as w
from services.wallet.domain import Bucket

_PAGE = (
    "WITH mine AS ("  # the person's (or one balance's) amount in each posting that moved it
    "  SELECT posting_seq, sum(amount) AS amount FROM posting_lines"
    "  WHERE psn_no = $1 AND ($2::text IS NULL OR bucket = $2) GROUP BY posting_seq),"
    " running AS (SELECT posting_seq, amount, sum(amount) OVER (ORDER BY posting_seq) AS balance FROM mine),"
    " page AS (SELECT r.posting_seq, p.key, p.kind, p.occurred_at, r.amount, r.balance"
    "  FROM running r JOIN postings p ON p.seq = r.posting_seq"
    "  WHERE $3::bigint IS NULL OR r.posting_seq < $3 ORDER BY r.posting_seq DESC LIMIT $4),"
    " balances AS (SELECT coalesce(sum(amount) FILTER (WHERE bucket = 'prior_years'), 0) AS prior_years,"
    "  coalesce(sum(amount) FILTER (WHERE bucket = 'current_year'), 0) AS current_year,"
    "  coalesce(sum(amount) FILTER (WHERE bucket = 'wallet'), 0) AS wallet FROM posting_lines WHERE psn_no = $1)"
    " SELECT * FROM balances LEFT JOIN page ON true ORDER BY posting_seq"
)


async def statement_page(conn: Any, psn_no: str, bucket: Bucket | None, before: int | None,
                         limit: int) -> tuple[w.AccountStatement, int | None]:
    """The newest `limit` lines before the posting `before` (all of them when None), and the cursor of
    the older page (None when this page reaches the first line)."""
    found = await conn.fetch(_PAGE, psn_no, bucket.value if bucket else None, before, limit + 1)
    lines = [r for r in found if r["posting_seq"] is not None]
    older, shown = len(lines) > limit, lines[-limit:]
    b = found[0]
    balances = w.Balances(prior_years=b["prior_years"], current_year=b["current_year"], wallet=b["wallet"],
                          total=b["prior_years"] + b["current_year"] + b["wallet"])
    statement = w.AccountStatement(psn_no=psn_no, bucket=bucket.value if bucket else None, balances=balances, lines=[
        w.StatementLine(key=r["key"], kind=r["kind"], occurred_at=r["occurred_at"], amount=int(r["amount"]),
                        balance=int(r["balance"])) for r in shown])
    return statement, (shown[0]["posting_seq"] if older else None)
