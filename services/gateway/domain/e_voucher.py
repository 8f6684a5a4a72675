"""The medical-insurance e-voucher (医保电子凭证, mdtrt_cert_type 01) as the gateway knows it.

The holder's app asks the platform for a token and shows it as a QR code; the counter scans it and sends
it as `mdtrt_cert_no`. A token is 256 random bits, valid for a few minutes, kept only as its SHA-256,
and usable by the first institution that presents it: a photo of the QR code is worth nothing
elsewhere, and nothing after a few minutes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from libs.china_time import CHINA_TIME
from services.gateway.domain.errors import Refusal

REFRESH = "ask the patient to refresh the QR code in their medical-insurance app (医保电子凭证) and scan it again"


class EVoucherRefused(Refusal):
    code = "E_VOUCHER_REFUSED"


class EVoucherExpired(EVoucherRefused):
    code = "E_VOUCHER_EXPIRED"


class EVoucherOfAnotherPerson(EVoucherRefused):
    code = "E_VOUCHER_OTHER_PERSON"


def token_hash(token: str) -> str:
    """What is stored and looked up: the token itself never is (it is random, so no salt is needed)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


@dataclass(frozen=True)
class EVoucher:
    psn_no: str
    expires_at: datetime
    fixmedins_code: str | None  # the institution that presented it first

    def check_usable(self, at: datetime, fixmedins_code: str) -> None:
        """Refused unless institution `fixmedins_code` may use it at `at`."""
        if self.fixmedins_code not in (None, fixmedins_code):
            raise unknown()  # another counter scanned it first: it says nothing about who it is
        if at >= self.expires_at:
            raise EVoucherExpired(f"电子凭证已过期 (the e-voucher expired at {self.expires_at.astimezone(CHINA_TIME):%H:%M:%S}); {REFRESH}")

    def check_person(self, psn_no: str | None) -> None:
        if psn_no and psn_no != self.psn_no:
            raise EVoucherOfAnotherPerson(f"电子凭证不属于人员编号 psn_no {psn_no} (the e-voucher is another person's); "
                                          "look the patient up with 1101 using this e-voucher")


def unknown() -> EVoucherRefused:
    return EVoucherRefused(f"电子凭证无效 (this e-voucher token is not known to the platform); {REFRESH}")
