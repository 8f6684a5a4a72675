"""Issue a token: `python -m libs.auth.token --role operator --sub alice` (`make token ROLE=operator`).

Signs with AUTH_SIGNING_KEY from the environment or the secrets file (`make secrets` / `make up`
generate it), so only whoever can read that file on the platform's host can issue tokens. Prints the
token alone on stdout, for `TOKEN=$(make -s token ROLE=clearing_desk)`.
"""

from __future__ import annotations

import argparse
import sys

from libs.auth.keys import KeysMissing
from libs.auth.principal import InvalidPrincipal, Principal, Role
from libs.auth.tokens import MAX_TTL_S, issue_token


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m libs.auth.token", description="issue a platform bearer token")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--sub", default=None, help="who: an account name (default: the role's name)")
    p.add_argument("--region", default=None, help="office: its 6-digit insured region")
    p.add_argument("--institution", default=None, help="hospital: its fixmedins_code")
    p.add_argument("--psn-no", default=None, help="holder: their 人员编号")
    p.add_argument("--ttl", type=int, default=3600, help=f"seconds the token lives (default 3600, at most {MAX_TTL_S})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    subject = args.sub or args.psn_no or args.institution or args.role
    try:
        principal = Principal(subject, Role(args.role), args.region or None, args.institution or None,
                              args.psn_no or None)
        print(issue_token(principal, ttl_s=args.ttl))
    except (InvalidPrincipal, KeysMissing, ValueError) as refused:
        print(f"no token: {refused}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
