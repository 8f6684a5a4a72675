"""docs/security.md prints the ACL table of libs/messaging/acl.py, and prints it as it is."""

from __future__ import annotations

from pathlib import Path

from libs.messaging.acl import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_security_doc_prints_the_acl_table_the_broker_gets() -> None:
    text = DOC.read_text()
    start = text.index("<!-- acl-table:")
    start = text.index("\n", start) + 1
    end = text.index("<!-- /acl-table -->")
    assert text[start:end].strip() == markdown_table()
