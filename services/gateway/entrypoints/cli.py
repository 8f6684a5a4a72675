"""Register an institution with the gateway and print its credentials (once: the secret is not shown again).

    python -m services.gateway.entrypoints.cli register --code H43010000001 --name "长沙市第一医院" \\
        --level 3 --region 430100

Registering a code again issues new credentials (the old ones stop working): how a leaked secret is rotated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from libs.db.migrations import migrate
from libs.db.pool import create_pool
from libs.messaging import postgres
from services.gateway.adapters.credentials import Institution, PgCredentials
from services.gateway.bootstrap import MIGRATIONS, GatewaySettings

LEVELS = ("primary", "1", "2", "3", "provincial")


async def register(settings: GatewaySettings, code: str, name: str, level: str, region: str,
                   kind: str = "hospital") -> Institution:
    if level not in LEVELS:
        raise SystemExit(f"--level must be one of {', '.join(LEVELS)}")
    if len(region) != 6 or not region.isdigit():
        raise SystemExit("--region must be a 6-digit region code such as 430100")
    pool = await create_pool(settings.database_dsn, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, {"messaging": postgres.MIGRATIONS, settings.service_name: MIGRATIONS})
            async with conn.transaction():
                return await PgCredentials(conn, settings.sealer()).register_institution(code, name, level, region, kind)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("register", help="register an institution and print its app id and secret")
    reg.add_argument("--code", required=True, help="fixmedins_code, e.g. H43010000001")
    reg.add_argument("--name", required=True, help="fixmedins_name")
    reg.add_argument("--level", required=True, help=f"hospital level: {', '.join(LEVELS)}")
    reg.add_argument("--region", required=True, help="the institution's 6-digit region (mdtrtarea_admvs)")
    reg.add_argument("--type", default="hospital", choices=("hospital", "pharmacy"))
    reg.add_argument("--out", type=Path, help="also write the credentials to this file (mode 0600)")
    args = parser.parse_args(argv)
    inst = asyncio.run(register(GatewaySettings(), args.code, args.name, args.level, args.region, args.type))
    creds = {"fixmedins_code": inst.fixmedins_code, "app_id": inst.app_id, "app_secret": inst.app_secret,
             "region": inst.region}
    text = json.dumps(creds, ensure_ascii=False, indent=1)
    if args.out:
        args.out.touch(mode=0o600)
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
