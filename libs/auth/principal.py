"""Who is calling: a role and what the credential ties it to (an office's region, a hospital, a holder).

A scoped role acts only on what is its own: an enrollment office on persons insured in its region, a
hospital on its own claims and clearing items, an account holder on their own account. The other roles
are not tied to one region, institution or person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

REGION = re.compile(r"^\d{6}$")


class Role(StrEnum):
    office = "office"                # an enrollment office (参保经办), for one insured region
    holder = "holder"                # an account holder (参保人) with their own account
    hospital = "hospital"            # a designated institution (定点医药机构), for its own claims
    clearing_desk = "clearing_desk"  # the clearing agency's desk: cycles, confirmations, prepayments
    operator = "operator"            # the platform's operators: reads everything, runs the platform
    auditor = "auditor"              # reads everything, changes nothing
    service = "service"              # another service of the platform (clearing asking settlement)


class InvalidPrincipal(ValueError):
    """A principal that lacks what its role needs (an office without its region...)."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    region: str | None = None       # office: the 6-digit insured region it serves
    institution: str | None = None  # hospital: its fixmedins_code
    psn_no: str | None = None       # holder: their 人员编号

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        if not self.subject or len(self.subject) > 128:
            raise InvalidPrincipal("a principal needs a subject of 1 to 128 characters")
        if self.role is Role.office and not (self.region and REGION.match(self.region)):
            raise InvalidPrincipal("an office's credential names its 6-digit region (--region 430100)")
        if self.role is Role.hospital and not self.institution:
            raise InvalidPrincipal("a hospital's credential names its institution (--institution H43010000001)")
        if self.role is Role.holder and not self.psn_no:
            raise InvalidPrincipal("a holder's credential names their person number (--psn-no P123)")

    @property
    def tenant(self) -> str:
        """Whose key space this principal's idempotency keys live in: an office's region, a hospital, a
        holder, or the account itself for the roles not tied to one."""
        owner = {Role.office: self.region, Role.hospital: self.institution, Role.holder: self.psn_no}.get(self.role)
        return f"{self.role}:{owner or self.subject}"
