"""The project installs as a package: its console scripts, its data files and its pinned dependencies."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from deploy.launch import SERVICES

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def entry(script: str):
    module, _, function = PROJECT["project"]["scripts"][script].partition(":")
    return getattr(importlib.import_module(module), function)


def test_every_service_the_launcher_starts_has_a_console_script() -> None:
    for service in SERVICES:
        assert f"medins-{service}" in PROJECT["project"]["scripts"], service


@pytest.mark.parametrize("script", sorted(PROJECT["project"]["scripts"]))
def test_every_console_script_answers_help_and_exits_cleanly(script: str, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exited:
        entry(script)()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {script} ")  # named as the newcomer typed it


def pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {name.lower().replace("_", "-"): version
            for name, version in (line.split("==") for line in lines if line)}


def test_requirements_are_exact_pins_that_the_lock_agrees_with() -> None:
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    lock = pins(ROOT / "constraints.txt")
    assert not set(runtime) & set(dev), "a package is both a runtime and a development dependency"
    for name, version in {**runtime, **dev}.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", version), name
        assert lock.get(name) == version, f"{name}: {version} here, {lock.get(name)} in constraints.txt (make lock)"


def test_no_test_tool_is_a_runtime_dependency() -> None:
    runtime = pins(ROOT / "requirements.txt")
    assert not {"pytest", "pytest-asyncio", "hypothesis", "testcontainers", "docker", "ruff", "mypy"} & set(runtime)


def test_the_package_list_holds_the_platform_and_no_tests() -> None:
    find = PROJECT["tool"]["setuptools"]["packages"]["find"]
    assert find["include"] == ["libs", "libs.*", "services", "services.*"] and find["namespaces"] is False
    tests_with_init = [*(ROOT / "libs").rglob("tests/__init__.py"), *(ROOT / "services").rglob("tests/__init__.py")]
    assert not tests_with_init, "a tests folder with __init__.py would be installed"


def test_pip_builds_a_wheel_with_the_data_files_the_services_read(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                    "-w", str(tmp_path), str(ROOT)], check=True, cwd=tmp_path)
    [wheel] = tmp_path.glob("medins_settlement-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("services/settlement/policy_packs/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("libs/messaging/migrations/") and n.endswith(".sql") for n in names)
    assert any(n.startswith("services/settlement/catalogue/") for n in names)
    assert not any("/tests/" in n for n in names)
    assert "medins-settlement = libs.console_scripts:settlement" in \
        next(zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith("entry_points.txt"))
