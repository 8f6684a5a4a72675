"""Who may call the offices' endpoints: an enrollment office (`Role.office`), for its own region.

`require(Role.office)` of `libs.auth` answers 401 without a valid token and 403 for another role; the
routes then keep each office to its own region (office_http.py). The role table is settlement's
`ACCESS` (entrypoints/http.py, docs/security.md).
"""

from __future__ import annotations

from libs.auth import Role, require

office = require(Role.office)
