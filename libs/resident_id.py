"""The 18-character resident ID number (GB 11643-1999): 17 digits and a mod-11 check character.

One person has one number, however it was keyed: full-width digits (１１０…), superscripts, a
full-width or lower-case X and surrounding spaces are brought to the one ASCII form by Unicode NFKC
(`normalise`); anything that is still not 17 ASCII digits and a digit or X is refused. Without this,
`str.isdigit` let full-width digits through and the same person could be registered twice.
"""

from __future__ import annotations

import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_DIGITS = frozenset("0123456789")


def normalise(text: str) -> str:
    """The ID number in its one form (NFKC, no surrounding space, upper-case X); it may still be wrong."""
    return unicodedata.normalize("NFKC", text[:100]).strip().upper()


def is_well_formed(number: str) -> bool:
    """17 ASCII digits and an ASCII digit or X (the shape only; the check character is `check_character`)."""
    return len(number) == 18 and _DIGITS.issuperset(number[:17]) and (number[17] in _DIGITS or number[17] == "X")


def check_character(first_17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first_17) != 17 or not _DIGITS.issuperset(first_17):
        raise ValueError("the first 17 characters of a resident ID are ASCII digits")
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first_17, WEIGHTS)) % 11]


def with_check_character(first_17: str) -> str:
    return first_17 + check_character(first_17)
