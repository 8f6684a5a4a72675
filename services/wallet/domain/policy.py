"""The wallet's rules that a region may set differently, with the national values as defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from libs.money import Fen
from services.wallet.domain.accounts import Bucket
from services.wallet.domain.clock import china_time
from services.wallet.domain.family import Relation


@dataclass(frozen=True)
class WalletPolicy:
    """National defaults (医保钱包, 2025): 3 transfers a day, 2,000 yuan each, none 22:00–06:00.

    `own_buckets` is the order a patient's own money pays a claim: wallet money first, because it
    cannot be passed on to relatives, so spending it first keeps the shareable balances for the family;
    then 历年结余, then the current year's credits. `family_buckets` is what a holder shares (mutual
    aid, premiums and transfers): prior years first. A region that shares only 历年结余 sets it to
    `(Bucket.PRIOR_YEARS,)`. When `family_money_needs_account_flag` is set, a patient who declines the
    account (acct_used_flag false) pays the rest in cash instead of drawing on relatives.
    """

    transfer_max_amount: Fen = 200_000
    transfers_per_day: int = 3
    night_starts: time = time(22, 0)
    night_ends: time = time(6, 0)
    allowed_relations: frozenset[Relation] = field(default_factory=lambda: frozenset(Relation))
    own_buckets: tuple[Bucket, ...] = (Bucket.WALLET, Bucket.PRIOR_YEARS, Bucket.CURRENT_YEAR)
    family_buckets: tuple[Bucket, ...] = (Bucket.PRIOR_YEARS, Bucket.CURRENT_YEAR)
    family_money_needs_account_flag: bool = False

    def in_night_window(self, at: datetime) -> bool:
        """Whether `at` (China time) falls in [night_starts, night_ends): 22:00 refused, 06:00 allowed."""
        clock = china_time(at).time()
        if self.night_starts <= self.night_ends:
            return self.night_starts <= clock < self.night_ends
        return clock >= self.night_starts or clock < self.night_ends
