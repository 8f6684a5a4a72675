"""How explanations name things, so every line a clerk reads uses the same words."""

from __future__ import annotations

from decimal import Decimal

from libs.money import Fen, format_yuan

_LEVELS = {
    "primary": "primary-care institution (基层)",
    "1": "level-1 hospital",
    "2": "level-2 hospital",
    "3": "level-3 hospital",
    "provincial": "provincial hospital",
}
_CARE = {
    "inpatient": "inpatient care",
    "outpatient": "outpatient care",
    "emergency": "emergency care",
    "pharmacy": "pharmacy purchase",
    "chronic": "chronic or special outpatient care",
    "special_drug": "special drug (dual channel)",
    "prenatal": "prenatal care",
    "delivery": "delivery",
}


def level(hosp_lv: str) -> str:
    return _LEVELS.get(hosp_lv, hosp_lv)


def care(kind: str) -> str:
    return _CARE.get(kind, kind)


def percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def yuan(amount: Fen) -> str:
    return format_yuan(amount)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
