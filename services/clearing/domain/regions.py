"""Who clears a claim between two pooling regions: the provincial platform or the national one.

A claim whose treatment region (`mdtrtarea_admvs`) is the insured region (`insuplc_admdvs`) is local
and never reaches clearing. When the first two digits (the province) differ, the claim is
cross-province and is cleared at the national level; otherwise it is province-internal and cleared by
that province's platform. Each such platform is a `ClearingScope`: it runs its own cycles, nets its
own regions and holds its own prepayments.

Not the national interface's `clr_type`: there `clr_type` (清算类别) is the clearing category of a
settlement (outpatient, inpatient, pharmacy…), which this service does not split by yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from services.clearing.domain.errors import InvalidRegionCode, RegionNotInScope

ClearingLevel = Literal["national", "provincial"]

_ADMDVS = re.compile(r"\d{6}")
_NATIONAL_KEY = "national"
_PROVINCIAL_PREFIX = "provincial-"


def check_admdvs(code: str, what: str = "region code") -> None:
    """Refuse anything but a 6-digit administrative division code (医保区划)."""
    if not isinstance(code, str) or not _ADMDVS.fullmatch(code):
        raise InvalidRegionCode(f"The {what} must be a 6-digit 医保区划 code such as 430100, not {code!r}.")


def province_of(admdvs: str) -> str:
    """The province of a region: the first two digits (43 for Hunan's 430100)."""
    check_admdvs(admdvs)
    return admdvs[:2]


@dataclass(frozen=True)
class ClearingScope:
    """One clearing platform: the national one, or one province's (`province` is its two digits)."""

    level: ClearingLevel
    province: str | None = None

    def __post_init__(self) -> None:
        if (self.level == "national") != (self.province is None):
            raise InvalidRegionCode("A national scope has no province; a provincial scope needs one.")
        if self.province is not None and not re.fullmatch(r"\d{2}", self.province):
            raise InvalidRegionCode(f"A province is two digits, not {self.province!r}.")

    @property
    def key(self) -> str:
        """How rows name the scope: `national` or `provincial-43`."""
        return _NATIONAL_KEY if self.level == "national" else f"{_PROVINCIAL_PREFIX}{self.province}"

    def check_member(self, admdvs: str) -> None:
        """Refuse a region this platform does not clear: a provincial platform clears only its province."""
        check_admdvs(admdvs)
        if self.province is not None and admdvs[:2] != self.province:
            raise RegionNotInScope(f"Region {admdvs} is not in province {self.province}; {self.key} does not clear it.")

    @classmethod
    def from_key(cls, key: str) -> ClearingScope:
        if key == _NATIONAL_KEY:
            return cls("national")
        if key.startswith(_PROVINCIAL_PREFIX):
            return cls("provincial", key.removeprefix(_PROVINCIAL_PREFIX))
        raise InvalidRegionCode(f"{key!r} is not a clearing scope (national or provincial-NN).")


NATIONAL = ClearingScope("national")


def clearing_scope_of(insuplc_admdvs: str, mdtrtarea_admvs: str) -> ClearingScope | None:
    """The platform that clears a claim between these regions, or None when the claim is local."""
    check_admdvs(insuplc_admdvs, "insured region (insuplc_admdvs)")
    check_admdvs(mdtrtarea_admvs, "treatment region (mdtrtarea_admvs)")
    if insuplc_admdvs == mdtrtarea_admvs:
        return None
    insured_province = province_of(insuplc_admdvs)
    if insured_province != province_of(mdtrtarea_admvs):
        return NATIONAL
    return ClearingScope("provincial", insured_province)
