"""The 18-character resident ID number (GB 11643-1999): 17 digits and a mod-11 check character."""

from __future__ import annotations

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


def check_character(first_17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first_17) != 17 or not first_17.isdigit():
        raise ValueError("the first 17 characters of a resident ID are digits")
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first_17, WEIGHTS)) % 11]


def with_check_character(first_17: str) -> str:
    return first_17 + check_character(first_17)
