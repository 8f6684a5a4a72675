"""The whole platform with the console, and a real browser on it: Debian's Chromium driven by Playwright.

The browser is the system's (/usr/bin/chromium, `make ui-deps` installs it); Playwright never
downloads one. Without it the tests are skipped, except in CI (CI=true), where that is a failure.
Screenshots go to test-results/ui/ (gitignored); `UPDATE_DOCS_IMG=1` also refreshes docs/img/.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest

from libs.contracts.topics import ENROLLMENT_COMMANDS, WALLET_COMMANDS
from tests.support.clients import Publisher
from tests.support.people import credit, register
from tests.support.processes import Services
from tests.support.stack import ROOT, Namespace
from tests.support.tokens import ephemeral_env

if TYPE_CHECKING:  # Playwright is imported when a browser is there to drive (see _browser_or_skip)
    from playwright.async_api import Browser, Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-results" / "ui"
DOCS_IMG = ROOT / "docs" / "img"
PEOPLE = [f"U{n:04d}" for n in range(12)]
EMPLOYEES = PEOPLE[:6]  # 310 in 371300; the others are residents (390) of 430100


@dataclass
class Platform:
    namespace: Namespace
    services: Services
    url: str
    passwords: dict[str, str]

    async def sql(self, service: str, statement: str, *args: object) -> object:
        conn = await asyncpg.connect(self.namespace.dsn(service))
        try:
            return await conn.fetchval(statement, *args)
        finally:
            await conn.close()

    def publisher(self) -> Publisher:
        return Publisher(self.namespace.stack.kafka_bootstrap, self.namespace.topic_prefix)


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: `make ui-deps` installs Debian's package")
        pytest.skip(f"no Chromium at {CHROMIUM} (`make ui-deps` installs it)")
    pytest.importorskip("playwright", reason="pip install -r requirements.txt installs Playwright")


@pytest.fixture(scope="module")
async def platform(own_namespace: Namespace, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    _browser_or_skip()
    passwords = {"operator": secrets.token_urlsafe(12), "auditor": secrets.token_urlsafe(12),
                 "clearing": secrets.token_urlsafe(12)}
    env = {**own_namespace.process_env, **ephemeral_env(),
           "CONSOLE_OPERATOR_PASSWORD": passwords["operator"], "CONSOLE_AUDITOR_PASSWORD": passwords["auditor"],
           "CONSOLE_CLEARING_DESK_PASSWORD": passwords["clearing"], "CONSOLE_REFRESH_MS": "1000",
           "CONSOLE_SUPERVISION_REFRESH_S": "1",
           "PROMETHEUS_URL": "http://127.0.0.1:9", "FOLLOWER_LINGER_MS": "50", "FOLLOWER_NICE": "0"}
    logs = Path(tmp_path_factory.mktemp("logs"))
    services = Services(env, logs)
    await asyncio.to_thread(services.start)
    found = Platform(own_namespace, services, f"http://127.0.0.1:{own_namespace.http_ports['console']}", passwords)
    try:
        await _enroll(found)
        yield found
    finally:
        await asyncio.to_thread(services.stop)
        await asyncio.to_thread(_keep_logs, logs)


def _keep_logs(logs: Path) -> None:
    """The services' logs beside the screenshots, as test artefacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for log in logs.glob("*.log"):
        shutil.copy(log, ARTIFACTS / log.name)


async def _enroll(platform: Platform) -> None:
    async with platform.publisher() as office:
        for seq, psn in enumerate(PEOPLE):
            await office.send(ENROLLMENT_COMMANDS, psn, register(psn, seq, insutype="310" if psn in EMPLOYEES else "390"),
                              f"reg-{psn}")
        for psn in EMPLOYEES:
            await office.send(WALLET_COMMANDS, psn, credit(psn, 500_00), f"credit-{psn}")
    for _ in range(600):
        if await platform.sql("settlement", "SELECT count(*) FROM coverage") == len(PEOPLE):
            return
        await asyncio.sleep(0.1)
    pytest.fail("enrollment did not reach settlement")


@pytest.fixture(scope="module")
async def browser(platform: Platform) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


async def signed_in(browser: Browser, platform: Platform, user: str, lang: str = "en") -> Page:
    """A new page in a fresh context, signed in as `user` through the login form."""
    context = await browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB" if lang == "en" else "zh-CN")
    await context.add_init_script(f"localStorage.setItem('console.lang', '{lang}')")
    page = await context.new_page()
    await page.goto(platform.url + "/")
    await page.wait_for_url("**/login")
    await page.fill("#username", user)
    await page.fill("#password", platform.passwords[user])
    await page.click("#sign-in")
    await page.wait_for_url("**/#/overview")
    await page.wait_for_selector("#role[data-role]", state="attached")  # the application knows who signed in
    return page


async def snap(page: Page, name: str, docs: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if docs and os.environ.get("UPDATE_DOCS_IMG"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", DOCS_IMG / f"console-{name}.png")
