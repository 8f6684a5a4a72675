"""Every wording the console's pages ask for exists in Chinese and in English."""

from __future__ import annotations

import re

from services.console.domain.pipeline import RelayFigures, relay_state
from services.console.domain.prepayment_cover import Cover
from tests.support.stack import ROOT

STATIC = ROOT / "services" / "console" / "entrypoints" / "static"


def wordings() -> dict[str, tuple[str, str]]:
    text = (STATIC / "i18n.js").read_text()
    quoted = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    pairs = re.findall(rf"'([\w.]+)': \[{quoted}, {quoted}\]", text)
    return {key: (zh[1:-1], en[1:-1]) for key, zh, en in pairs}


def asked_for() -> set[str]:
    """The keys app.js names literally: t('key') and the table headings ('key' or '#key')."""
    app = (STATIC / "app.js").read_text()
    keys = set(re.findall(r"\bt\('([\w.]+)'\)", app))
    for head in re.findall(r"table\(\[([^\]]*)\]", app):
        keys |= set(re.findall(r"'#?([a-z_]+\.[\w.]+)'", head))
    return keys


def test_every_key_the_pages_use_has_a_chinese_and_an_english_wording() -> None:
    known = wordings()
    missing = sorted(asked_for() - set(known))
    assert not missing, missing
    for key in asked_for():
        zh, en = known[key]
        assert zh and en, key


def test_every_relay_state_has_its_wording() -> None:
    states = {relay_state(RelayFigures(age, failures, None, None))
              for age in (None, 0.0, 60.0) for failures in (None, 0, 3)}
    assert {f"relay.{state}" for state in states} <= set(wordings())


def test_every_prepayment_cover_status_has_its_wording() -> None:
    statuses = {Cover("R", payable, covered, payable - covered).status for payable, covered in ((0, 0), (5, 5), (5, 2))}
    assert {f"clr.cover_{status}" for status in statuses} <= set(wordings())
