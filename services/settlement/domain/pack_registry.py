"""Which policy pack is in force for an insured region, a scheme and a date of service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from services.settlement.domain.errors import NoPolicyPack
from services.settlement.domain.policy_pack import PolicyPack


class PackRegistry:
    """The loaded packs; at most one may be in force for a region and scheme on any day."""

    def __init__(self, packs: Iterable[PolicyPack]) -> None:
        self._packs: dict[str, PolicyPack] = {}
        for pack in packs:
            if pack.id in self._packs:
                raise ValueError(f"pack {pack.id} is loaded twice")
            clash = next((p for p in self._packs.values() if _overlap(p, pack)), None)
            if clash is not None:
                raise ValueError(
                    f"packs {clash.id} and {pack.id} are both in force for region {pack.region}, "
                    f"insutype {pack.insutype} on some days; their periods must not overlap"
                )
            self._packs[pack.id] = pack

    def pack_for(self, insured_region: str, insutype: str, on: date) -> PolicyPack:
        """The insured region's pack for the scheme on the date of service, or `NoPolicyPack`."""
        for pack in self._packs.values():
            if pack.region == insured_region and pack.insutype == insutype and pack.in_force_on(on):
                return pack
        raise NoPolicyPack(
            f"no policy pack is in force for insured region {insured_region}, insutype {insutype} "
            f"on {on.isoformat()}"
        )

    def by_id(self, pack_id: str) -> PolicyPack:
        if pack_id not in self._packs:
            raise KeyError(f"no pack with id {pack_id!r}; loaded: {', '.join(sorted(self._packs))}")
        return self._packs[pack_id]

    def __iter__(self) -> Iterator[PolicyPack]:
        return iter(self._packs.values())

    def __len__(self) -> int:
        return len(self._packs)


def _overlap(a: PolicyPack, b: PolicyPack) -> bool:
    same_scope = a.region == b.region and a.insutype == b.insutype
    return same_scope and a.effective_from <= b.effective_to and b.effective_from <= a.effective_to
