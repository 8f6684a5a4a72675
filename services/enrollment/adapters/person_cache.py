"""Replayed persons kept between transactions, so a read replays only the events stored since.

An entry is a `PersonState` (immutable: handlers get a new `InsuredPerson` around it and replace its
state, never change it) labelled with the stream position it reflects: the `seq` of its last event and
`writer`, the id of the (sub)transaction that wrote that event row (Postgres's `xmin`). The store serves
an entry only to a reader that sees that very row (see `PgEnrollmentStore`), so an entry made from work
that was rolled back, or not yet committed, is never served to anyone who cannot see that work: its
writer's id is never used by a committed row. Bounded, least recently used first out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from services.enrollment.domain.state import PersonState


@dataclass(frozen=True)
class CachedPerson:
    state: PersonState
    seq: int  # the last event the state reflects
    writer: int  # xmin of that event's row


class PersonCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity  # 0 keeps nothing: every read replays the whole stream
        self._entries: OrderedDict[str, CachedPerson] = OrderedDict()

    def get(self, psn_no: str) -> CachedPerson | None:
        entry = self._entries.get(psn_no)
        if entry is not None:
            self._entries.move_to_end(psn_no)
        return entry

    def put(self, psn_no: str, entry: CachedPerson) -> None:
        """Remember the newest entry read or written, even one at an older position: each is true to its label."""
        if self.capacity <= 0:
            return
        self._entries[psn_no] = entry
        self._entries.move_to_end(psn_no)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, psn_no: str) -> bool:
        return psn_no in self._entries
