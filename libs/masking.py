"""Masking of personal data for logs and for events that do not need it.

A resident ID keeps its region prefix and last four characters (430***********123X); a name keeps
its first character (张*, 欧阳** keeps 欧). Anything that looks like an 18-character ID inside free
text is masked too, so a stray f-string cannot leak one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])")
SENSITIVE_KEYS = frozenset({"certno", "id_number", "psn_name", "name", "psn_cert_no"})


def mask_id_number(value: str) -> str:
    if len(value) != 18:
        return "*" * len(value)
    return f"{value[:3]}{'*' * 11}{value[-4:]}"


def mask_name(value: str) -> str:
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_text(text: str) -> str:
    return ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 11}{m.group(2)}", text)


def mask_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key in SENSITIVE_KEYS:
            return mask_id_number(value) if key in {"certno", "id_number", "psn_cert_no"} else mask_name(value)
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(key, v) for v in value]
    return value


def pseudonym(value: str, key: bytes) -> str:
    """A keyed hash of an identifier (HMAC-SHA256, 16 hex characters): the same person gives the same
    pseudonym under one key, so records can be matched, but the value cannot be read back or guessed
    without the key (an ID number's few unknown digits could be brute-forced from a plain hash)."""
    return "h:" + hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
