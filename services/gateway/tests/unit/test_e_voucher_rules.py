"""An e-voucher stands for one person, at the first counter that scans it, for a few minutes; every
credential type of the national list is accepted by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.domain import codes
from services.gateway.domain.e_voucher import (
    EVoucher,
    EVoucherExpired,
    EVoucherOfAnotherPerson,
    EVoucherRefused,
    token_hash,
)
from services.gateway.domain.errors import UnknownCode

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
VOUCHER = EVoucher("P1", NOW + timedelta(minutes=5), None)


def test_a_fresh_voucher_may_be_used_by_the_counter_that_scans_it() -> None:
    VOUCHER.check_usable(NOW, "H1")
    EVoucher("P1", NOW + timedelta(minutes=5), "H1").check_usable(NOW, "H1")


def test_an_expired_voucher_is_refused_with_what_the_clerk_should_do() -> None:
    with pytest.raises(EVoucherExpired) as refused:
        VOUCHER.check_usable(NOW + timedelta(minutes=5), "H1")
    assert "电子凭证已过期" in refused.value.message and "refresh the QR code" in refused.value.message
    assert "16:05:00" in refused.value.message  # China time, as the clerk's clock shows it


def test_a_voucher_another_counter_scanned_first_says_nothing_about_its_person() -> None:
    with pytest.raises(EVoucherRefused) as refused:
        EVoucher("P1", NOW + timedelta(minutes=5), "H2").check_usable(NOW, "H1")
    assert "P1" not in refused.value.message and "refresh the QR code" in refused.value.message


def test_a_voucher_names_its_own_person_only() -> None:
    VOUCHER.check_person("P1")
    with pytest.raises(EVoucherOfAnotherPerson):
        VOUCHER.check_person("P2")


def test_only_the_tokens_hash_is_kept_and_it_does_not_reveal_the_token() -> None:
    assert token_hash(" abc ") == token_hash("abc") and "abc" not in token_hash("abc") and len(token_hash("abc")) == 64


@pytest.mark.parametrize("code", ["01", "02", "03", " 03 "])
def test_every_credential_type_of_the_national_list_is_accepted(code: str) -> None:
    assert codes.cert_type(code) == code.strip()


def test_an_unknown_credential_type_is_refused_naming_the_three_known_ones() -> None:
    with pytest.raises(UnknownCode) as refused:
        codes.cert_type("04")
    assert all(known in refused.value.message for known in ("01 电子凭证", "02 居民身份证", "03 社会保障卡"))
