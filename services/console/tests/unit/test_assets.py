"""The chart library is served by the console itself, at the version and checksum its README states."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

STATIC = Path(__file__).resolve().parents[2] / "entrypoints" / "static"
VENDOR = STATIC / "vendor"


def test_the_vendored_chart_library_is_the_pinned_release_with_its_licence() -> None:
    readme = (VENDOR / "README.md").read_text()
    pinned = re.search(r"\| chart\.js \(npm\) \| ([\d.]+) \| MIT .*?\| ([0-9a-f]{64}) \|", readme)
    assert pinned is not None, "the vendor README lists chart.js with its version, licence and checksum"
    version, checksum = pinned.groups()
    library = (VENDOR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(library).hexdigest() == checksum
    assert f"Chart.js v{version}".encode() in library[:200]
    assert "MIT" in (VENDOR / "LICENSE.chart.js.md").read_text()


def test_no_page_loads_anything_from_another_host() -> None:
    for page in ("index.html", "login.html"):
        html = (STATIC / page).read_text()
        assert not re.search(r"""(src|href)=["']https?://""", html), page


def test_the_console_serves_the_library_itself(console_app) -> None:
    reply = TestClient(console_app).get("/static/vendor/chart.umd.min.js")
    assert reply.status_code == 200 and reply.content.startswith(b"/*!\n * Chart.js")
