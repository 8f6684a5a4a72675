"""The installed commands (`[project.scripts]` in pyproject.toml): `pip install .` puts them on PATH.

    medins-enrollment | medins-settlement | medins-wallet | medins-clearing | medins-gateway | medins-console
    medins-auditor     (services/settlement/entrypoints/cli.py)
    medins-simulator   (libs/hospital/simulator)
    medins-admin       (libs/messaging/admin: the platform's topics)

A service's command runs exactly what `python -m services.<name>` runs; its settings come from the
environment, as they do under `make run`, so `--help` lists the common ones and nothing else is parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import runpy
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

SETTINGS_HELP = """\
settings (environment variables; defaults fit the native stack of `make up`):
  KAFKA_BOOTSTRAP       broker host:port (127.0.0.1:19092)
  PGHOST PGPORT         Postgres server (127.0.0.1, 54329)
  PGUSER PGPASSWORD     the service's database role and its password
  TOPIC_PREFIX DB_PREFIX  a namespace on shared servers (empty)
  LOG_LEVEL             INFO; logs are JSON lines on stdout
  <SERVICE>_HTTP_PORT   the service's HTTP API port; HTTP_HOST the address it binds (127.0.0.1)
  <SERVICE>_URL         another service's API (else 127.0.0.1:<SERVICE>_HTTP_PORT); PROMETHEUS_PORT (9090)
  EVENT_LOOP=asyncio    the standard event loop instead of uvloop
See README.md and libs/settings.py for the rest."""


def command_name(module_form: str) -> str:
    """How a tool's usage line names it: its installed command (medins-auditor), else `python -m ...`."""
    invoked = Path(sys.argv[0]).name
    return invoked if invoked.startswith("medins-") else module_form


def _service(name: str, summary: str) -> Callable[[Sequence[str] | None], None]:
    def main(argv: Sequence[str] | None = None) -> None:
        parser = argparse.ArgumentParser(
            prog=f"medins-{name}", description=f"Run the {name} service: {summary} (until SIGINT or SIGTERM).",
            epilog=SETTINGS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.parse_args(sys.argv[1:] if argv is None else argv)
        if importlib.util.find_spec(f"services.{name}.__main__") is None:
            sys.exit(f"medins-{name}: the {name} service is not part of this installation")
        runpy.run_module(f"services.{name}", run_name="__main__", alter_sys=True)

    main.__name__ = name
    return main


enrollment = _service("enrollment", "people, schemes, contributions, coverage and filings")
settlement = _service("settlement", "adjudication under regional policy packs, accumulators, the fund ledger")
wallet = _service("wallet", "personal accounts, family mutual aid, wallet transfers")
clearing = _service("clearing", "obligations between pooling regions, clearing cycles, reconciliation")
gateway = _service("gateway", "the hospitals' national-interface HTTP gateway")
console = _service("console", "the operations console")


def simulator() -> None:
    """Simulated hospitals and pharmacies (`python -m libs.hospital.simulator`); `--help` lists its options."""
    from libs.hospital.simulator import __main__ as simulated

    args = simulated.parse_args(sys.argv[1:])
    asyncio.run(simulated.main(args))


def admin() -> None:
    """The platform's Kafka administration (`python -m libs.messaging.admin`)."""
    from libs.messaging import admin as tool

    if not inspect.signature(tool.main).parameters:  # a main without arguments: give it a --help
        argparse.ArgumentParser(prog="medins-admin", description=tool.__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    tool.main()
