"""Who may do what on Kafka: the one table of the platform's principals and their ACLs.

Each principal writes only the topics its contracts say it produces, reads only what it consumes,
and joins only consumer groups named after itself (`<principal>...`, the runtime's groups are
`<service>-<topic>`). A service's own event topics have no other writer. `dead-letter` is written by
every service (each dead-letters what it could not handle) and read by the console alone.

- `offices` (the enrollment offices' systems) sends commands to enrollment and manual reimbursements
  to settlement, and reads the reimbursements' outcomes; settlement also writes its own command topic
  (its offices' HTTP API queues a reimbursement there, through its outbox).
- `gateway` is the only way a hospital's claim gets in (hospitals hold no broker credentials): it
  writes `claims.submitted` and reads `claims.outcomes` to answer each hospital. The load generator,
  the benchmark and the tests that play hospitals use it.
- `console` reads the claims and their outcomes (its projection: services/console), the dead letters,
  and describes every topic and group (consumer lag); it writes only the dead letters it parks.
- `admin` is the super user (`super.users` in the broker's configuration): topics, ACLs, SCRAM users,
  tooling. No service runs as admin. Account credits on `wallet.commands` have no principal yet (the
  contribution-collection system is not part of the platform): only admin tooling (demo, simulator,
  tests) writes them.

Applied by `libs.messaging.admin` (`make up`: the platform's topics; a test namespace: its own
prefixed topics, dropped with it). docs/security.md prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from libs.contracts.topics import (
    CLAIMS_ADJUDICATED,
    CLAIMS_OUTCOMES,
    CLAIMS_SUBMITTED,
    CLEARING_EVENTS,
    DEAD_LETTER,
    ENROLLMENT_COMMANDS,
    ENROLLMENT_EVENTS,
    REIMBURSEMENTS_COMMANDS,
    REIMBURSEMENTS_OUTCOMES,
    WALLET_COMMANDS,
    WALLET_EVENTS,
    WALLET_PAYMENTS,
    Topic,
)

ADMIN = "admin"


@dataclass(frozen=True)
class Grant:
    principal: str
    produces: tuple[Topic, ...] = ()
    consumes: tuple[Topic, ...] = ()
    describes_everything: bool = False  # every topic's and group's offsets (lag), nothing else
    why: str = ""


GRANTS: tuple[Grant, ...] = (
    Grant("enrollment", produces=(ENROLLMENT_EVENTS, DEAD_LETTER),
          consumes=(ENROLLMENT_COMMANDS, WALLET_EVENTS, CLAIMS_OUTCOMES, REIMBURSEMENTS_OUTCOMES),
          why="the register of insured persons: office commands, premiums paid by relatives, settled claims and "
              "manual reimbursements"),
    Grant("settlement", produces=(CLAIMS_ADJUDICATED, CLAIMS_OUTCOMES, REIMBURSEMENTS_OUTCOMES,
                                  REIMBURSEMENTS_COMMANDS, DEAD_LETTER),
          consumes=(CLAIMS_SUBMITTED, WALLET_PAYMENTS, ENROLLMENT_EVENTS, REIMBURSEMENTS_COMMANDS),
          why="adjudicates claims and manual reimbursements (its offices' HTTP API queues those on its own "
              "command topic), answers hospitals and offices"),
    Grant("wallet", produces=(WALLET_PAYMENTS, WALLET_EVENTS, DEAD_LETTER),
          consumes=(CLAIMS_ADJUDICATED, WALLET_COMMANDS, ENROLLMENT_EVENTS),
          why="personal accounts: pays the personal part, holders' commands"),
    Grant("clearing", produces=(CLEARING_EVENTS, DEAD_LETTER), consumes=(CLAIMS_OUTCOMES,),
          why="clearing between pooling regions from settled claims"),
    Grant("gateway", produces=(CLAIMS_SUBMITTED,), consumes=(CLAIMS_OUTCOMES,),
          why="the hospitals' only way in: submits their claims, routes the outcomes back"),
    Grant("offices", produces=(ENROLLMENT_COMMANDS, REIMBURSEMENTS_COMMANDS), consumes=(REIMBURSEMENTS_OUTCOMES,),
          why="enrollment offices' systems: registrations, filings, approvals; manual reimbursements and their outcomes"),
    Grant("console", produces=(DEAD_LETTER,), consumes=(CLAIMS_SUBMITTED, CLAIMS_OUTCOMES, DEAD_LETTER),
          describes_everything=True,
          why="operations console: its projection of claims and outcomes (figures, refusals, funds, supervision), "
              "what it cannot decode parked like any consumer's, dead letters, consumer lag"),
)
PRINCIPALS: tuple[str, ...] = (ADMIN, *(g.principal for g in GRANTS))
CLIENTS = ("gateway", "offices")  # the platform's clients' principals (not services)
BY_PRINCIPAL = {g.principal: g for g in GRANTS}

ResourceType = Literal["topic", "group"]
PatternType = Literal["literal", "prefixed"]
Operation = Literal["read", "write", "describe"]


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW entry (any host): `principal` may `operation` the resource `name` (by `pattern`)."""

    principal: str
    resource: ResourceType
    name: str
    pattern: PatternType
    operation: Operation

    @property
    def kafka_principal(self) -> str:
        return f"User:{self.principal}"


def acls(topic_prefix: str = "", *, wildcards: bool = True) -> list[Acl]:
    """Every ACL of the platform for topics named `topic_prefix + topic.name` (a test namespace's, or
    the platform's with ""). `wildcards`: also the console's describe-everything entries, which do not
    depend on the prefix (so a namespace leaves them out: they outlive it)."""
    out: list[Acl] = []
    for g in GRANTS:
        out += [Acl(g.principal, "topic", topic_prefix + t.name, "literal", "write") for t in g.produces]
        out += [Acl(g.principal, "topic", topic_prefix + t.name, "literal", "read") for t in g.consumes]
        if g.consumes:  # its own consumer groups: "<prefix><principal>" and anything after it
            out.append(Acl(g.principal, "group", topic_prefix + g.principal, "prefixed", "read"))
        if g.describes_everything and wildcards:
            out += [Acl(g.principal, "topic", "*", "literal", "describe"),
                    Acl(g.principal, "group", "*", "literal", "describe")]
    return sorted(set(out))


def may_produce(principal: str, topic: Topic) -> bool:
    return principal == ADMIN or topic in BY_PRINCIPAL[principal].produces


def may_consume(principal: str, topic: Topic) -> bool:
    return principal == ADMIN or topic in BY_PRINCIPAL[principal].consumes


def writers(topic: Topic) -> list[str]:
    """The principals (not admin) that may write `topic`."""
    return [g.principal for g in GRANTS if topic in g.produces]


def acting_principal(topic: Topic) -> str:
    """Who a tool playing the platform's clients sends `topic` as: a client's principal that may write
    it, else a service's, else admin (account credits)."""
    allowed = writers(topic)
    return next((p for p in allowed if p in CLIENTS), allowed[0] if allowed else ADMIN)


def group_of(principal: str, name: str = "") -> str:
    """A consumer group `principal` may join: its name, then `-name` if given (without the namespace)."""
    return f"{principal}-{name}" if name else principal


def markdown_table() -> str:
    """The table as docs/security.md prints it (a test keeps the two the same)."""
    rows = ["| principal | writes | reads | consumer groups | why |", "|---|---|---|---|---|",
            "| `admin` | everything (super user) | everything | any | topics, ACLs, SCRAM users, tooling; no service |"]
    for g in GRANTS:
        reads = [f"`{t.name}`" for t in g.consumes]
        if g.describes_everything:
            reads.append("describe every topic and group (lag)")
        rows.append(f"| `{g.principal}` | {', '.join(f'`{t.name}`' for t in g.produces) or '—'} | "
                    f"{', '.join(reads) or '—'} | {f'`{g.principal}*`' if g.consumes else '—'} | {g.why} |")
    return "\n".join(rows)
