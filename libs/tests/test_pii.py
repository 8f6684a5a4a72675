"""Personal data sealed at rest: what goes in comes out, under the field it was sealed for, with any key held."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from libs.pii import PiiKeyError, PiiVault, Sealer, is_sealed, new_key

ID_NUMBER = "11010519491231002X"


def test_a_sealed_value_opens_to_itself_and_shows_nothing_of_it() -> None:
    vault = PiiVault.ephemeral()
    sealed = vault.seal("certno", ID_NUMBER)
    assert is_sealed(sealed) and ID_NUMBER not in sealed and "19491231" not in sealed
    assert vault.open("certno", sealed) == ID_NUMBER


def test_sealing_twice_gives_two_different_texts() -> None:
    vault = PiiVault.ephemeral()
    assert vault.seal("name", "张三") != vault.seal("name", "张三")


def test_a_value_sealed_as_one_field_cannot_be_opened_as_another() -> None:
    vault = PiiVault.ephemeral()
    with pytest.raises(InvalidTag):
        vault.open("name", vault.seal("certno", ID_NUMBER))


def test_after_rotation_the_new_key_seals_and_the_old_one_still_opens() -> None:
    old, new, hashing = new_key(), new_key(), new_key()
    before = PiiVault.from_settings(f"k1:{old}", hashing)
    sealed_before = before.seal("certno", ID_NUMBER)
    after = PiiVault.from_settings(f"k2:{new},k1:{old}", hashing)
    assert after.open("certno", sealed_before) == ID_NUMBER
    assert after.seal("certno", ID_NUMBER).startswith("pii:1:k2:")
    with pytest.raises(PiiKeyError, match="k2"):
        before.open("certno", after.seal("certno", ID_NUMBER))


def test_the_lookup_hash_is_stable_keyed_and_hides_the_number() -> None:
    hashing = new_key()
    one, same = PiiVault.from_settings(new_key(), hashing), PiiVault.from_settings(new_key(), hashing)
    assert one.lookup_hash(ID_NUMBER) == same.lookup_hash(ID_NUMBER)
    assert one.lookup_hash(ID_NUMBER) != PiiVault.ephemeral().lookup_hash(ID_NUMBER)
    assert ID_NUMBER not in one.lookup_hash(ID_NUMBER)


def test_keys_are_read_in_either_base64_alphabet() -> None:
    raw = bytes(range(250, 256)) * 5 + b"ab"  # 32 bytes whose base64 has both + and /
    standard, urlsafe = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert "+" in standard or "/" in standard
    sealed = PiiVault.from_settings(standard, new_key()).seal("name", "李四")
    assert PiiVault.from_settings(urlsafe, new_key()).open("name", sealed) == "李四"


@pytest.mark.parametrize("keys", [("", new_key()), (new_key(), ""), ("not base64!", new_key()), ("c2hvcnQ", new_key())])
def test_missing_or_malformed_keys_are_refused_at_start(keys: tuple[str, str]) -> None:
    with pytest.raises(PiiKeyError):
        PiiVault.from_settings(*keys)


def test_a_sealer_of_its_own_prefix_and_key_seals_other_secrets_bound_to_their_row() -> None:
    sealer = Sealer.from_setting(f"g1:{new_key()}", "GATEWAY_SECRET_KEY", "gwsecret:1:")
    sealed = sealer.seal("app_secret/H1", "s3cret")
    assert sealed.startswith("gwsecret:1:g1:") and "s3cret" not in sealed and sealer.key_id(sealed) == "g1"
    assert sealer.open("app_secret/H1", sealed) == "s3cret"
    with pytest.raises(InvalidTag):
        sealer.open("app_secret/H2", sealed)  # copied onto another institution's row: does not open
    with pytest.raises(PiiKeyError, match="GATEWAY_SECRET_KEY"):
        Sealer.from_setting("", "GATEWAY_SECRET_KEY")
