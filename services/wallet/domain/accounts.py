"""Ledger account names.

A person's money sits in three buckets, each its own ledger account:
`personal:<psn_no>:prior_years` (历年结余), `personal:<psn_no>:current_year` (当年划入) and
`personal:<psn_no>:wallet` (money received by wallet transfer from a relative). These may never go
below zero.

Fund-side accounts are where person money comes from or goes to; their balances are signed and
unbounded: `contributions:<region>` and `pooling-fund:<region>` (sources of credits; they go
negative), `claims-payable:<fixmedins_code>` (personal-part money owed to the hospital or pharmacy),
`resident-premiums:<region>` (resident premiums paid by mutual aid). Cash is not a ledger account:
it is what the ledger did not pay.
"""

from __future__ import annotations

import re
from enum import StrEnum

from services.wallet.domain.errors import InvalidRequest

AccountId = str

_IDENTIFIER = re.compile(r"^[^\s:]{1,64}$")
_REGION = re.compile(r"^\d{6}$")


class Bucket(StrEnum):
    """One of a person's three balances."""

    PRIOR_YEARS = "prior_years"
    CURRENT_YEAR = "current_year"
    WALLET = "wallet"


def check_identifier(value: str, what: str) -> None:
    """Ids become part of account names and idempotency keys, so no colons and no blanks."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise InvalidRequest(f"The {what} {value!r} must be 1 to 64 characters without spaces or colons.")


def check_reference(value: str, what: str) -> None:
    """Business ids (claim, settlement, transfer, payment ids) only go into idempotency keys."""
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        raise InvalidRequest(f"The {what} {value!r} must be 1 to 64 printable characters.")


def check_region(region: str) -> None:
    if not isinstance(region, str) or not _REGION.match(region):
        raise InvalidRequest(f"The region {region!r} must be a 6-digit 医保区划 code.")


def personal(psn_no: str, bucket: Bucket) -> AccountId:
    return f"personal:{psn_no}:{bucket}"


def contributions(region: str) -> AccountId:
    return f"contributions:{region}"


def pooling_fund(region: str) -> AccountId:
    return f"pooling-fund:{region}"


def claims_payable(fixmedins_code: str) -> AccountId:
    return f"claims-payable:{fixmedins_code}"


def resident_premiums(region: str) -> AccountId:
    return f"resident-premiums:{region}"


def owner_of(account: AccountId) -> tuple[str, Bucket] | None:
    """`(psn_no, bucket)` for a person's account, None for a fund-side account."""
    parts = account.split(":")
    if len(parts) == 3 and parts[0] == "personal":
        return parts[1], Bucket(parts[2])
    return None
