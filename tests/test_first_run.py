"""A newcomer's first `make run` (issue #18): what is missing is named with the command that installs it,
and the long steps say what they do as they go. The scripts run in a stand-in clone (deploy/ copied), as a
user who is not root and has no password-less sudo (`id` and `sudo` stand-ins first on PATH), so nothing
is installed and no running stack is touched."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy", ignore=shutil.ignore_patterns("lib", "__pycache__"))
    shutil.copy(ROOT / "constraints.txt", tmp_path)
    return tmp_path


def unprivileged_path(tmp_path: Path, without: frozenset[str] = frozenset()) -> str:
    """A PATH on which the user is uid 1000 with no sudo, and the commands of `without` do not exist."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for tool in Path(folder).iterdir():
            if tool.name not in without and not (bin_dir / tool.name).exists():
                (bin_dir / tool.name).symlink_to(tool)
    for name in ("id", "sudo"):
        (bin_dir / name).unlink(missing_ok=True)
    executable(bin_dir / "id", '#!/bin/bash\ncase "$1" in -u) echo 1000 ;; -un) echo newbie ;; *) echo "uid=1000(newbie)" ;; esac\n')
    executable(bin_dir / "sudo", "#!/bin/bash\necho 'sudo: a password is required' >&2\nexit 1\n")
    return str(bin_dir)


def run(clone: Path, script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(clone / "deploy" / script), *args], cwd=clone, capture_output=True, text=True,
                          timeout=120, env={**env, "STACK_DIR": str(clone / ".stack")})


def test_a_python_without_its_venv_module_is_named_with_the_command_that_installs_it(clone: Path) -> None:
    no_venv = executable(clone / "python-without-venv", "#!/bin/bash\n"
                         'if [[ "$*" == *ensurepip* ]]; then echo "No module named ensurepip" >&2; exit 1; fi\n'
                         'exec python3 "$@"\n')
    done = run(clone, "venv.sh", {"PATH": unprivileged_path(clone), "HOME": str(clone), "PYTHON": str(no_venv)})
    assert done.returncode == 1
    assert "python3-venv" in done.stderr and "sudo apt-get install -y python3-venv" in done.stderr
    assert not (clone / ".venv").exists()


def test_a_missing_java_is_named_with_the_command_that_installs_a_jdk(clone: Path) -> None:
    env = {"PATH": unprivileged_path(clone, without=frozenset({"java"})), "HOME": str(clone),
           "KAFKA_BOOTSTRAP": "127.0.0.1:9", "KAFKA_CONTROLLER_PORT": "10"}  # nothing listens at port 9 (discard)
    done = run(clone, "kafka.sh", env, "start")
    assert done.returncode == 1
    assert "sudo apt-get install -y openjdk-17-jre-headless" in done.stderr, done.stderr
    assert "ready on" not in done.stdout


def test_a_missing_postgres_is_named_with_the_command_that_installs_it(clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        # the script looks for Debian's server binaries where the package puts them: a stand-in says none
        script = (clone / "deploy" / "postgres.sh").read_text()
        (clone / "deploy" / "postgres.sh").write_text(script.replace("/usr/lib/postgresql/", f"{clone}/no-postgresql/"))
    env = {"PATH": unprivileged_path(clone), "HOME": str(clone), "PGPORT": "9"}
    done = run(clone, "postgres.sh", env, "start")
    assert done.returncode == 1
    assert "sudo apt-get install -y postgresql" in done.stderr, done.stderr


def test_installing_the_packages_prints_each_as_pip_reaches_it_not_all_at_the_end(clone: Path) -> None:
    """pip stands in: three packages a second apart. Each line is shown while pip is still at work
    (Debian's awk, mawk, held them until pip ended)."""
    executable(clone / ".venv" / "bin" / "python", "#!/bin/bash\n"
               "for p in aiokafka==0.14.0 asyncpg==0.32.0 fastapi==0.163.2; do echo \"Collecting $p\"; sleep 1; done\n"
               "echo 'Installing collected packages: aiokafka, asyncpg, fastapi'\n"
               "echo 'Successfully installed aiokafka-0.14.0 asyncpg-0.32.0 fastapi-0.163.2'\n")
    proc = subprocess.Popen([str(clone / "deploy" / "venv.sh")], cwd=clone, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "STACK_DIR": str(clone / ".stack")})
    assert proc.stdout is not None
    started = time.monotonic()
    seen: list[tuple[float, str]] = [(time.monotonic() - started, line.rstrip()) for line in proc.stdout]
    assert proc.wait(timeout=30) == 0
    total = sum(1 for line in (clone / "constraints.txt").read_text().splitlines() if line[:1].isalpha())
    assert [line for _, line in seen][1:] == [
        f"[venv] 1/{total} aiokafka==0.14.0", f"[venv] 2/{total} asyncpg==0.32.0", f"[venv] 3/{total} fastapi==0.163.2",
        "[venv] installing ...", "[venv] done"]
    first_package = next(t for t, line in seen if "aiokafka" in line)
    assert first_package < 1.5, seen  # shown at once, not when pip ended (3 s)


def test_a_venv_linked_to_another_checkouts_environment_is_left_as_it_is(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("other-checkout") / ".venv"
    executable(other / "bin" / "python", "#!/bin/bash\necho 'installed into the other checkout' >> \"$(dirname \"$0\")/../touched\"\n")
    (clone / ".venv").symlink_to(other)
    done = subprocess.run([str(clone / "deploy" / "venv.sh")], cwd=clone, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "STACK_DIR": str(clone / ".stack")})
    assert done.returncode == 0, done.stderr
    assert "nothing installed into it" in done.stdout
    assert not (other / "touched").exists()


def test_the_banner_names_the_secrets_file_of_the_stack_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from deploy import run_services
    from libs.settings import secrets_file

    monkeypatch.delenv("SECRETS_FILE", raising=False)
    monkeypatch.setenv("STACK_DIR", "/srv/medins-stack")
    assert run_services.shown(secrets_file()) == Path("/srv/medins-stack/secrets.env")
    monkeypatch.setenv("STACK_DIR", str(ROOT / ".stack"))
    assert run_services.shown(secrets_file()) == Path(".stack/secrets.env")
    assert "{secrets}" in run_services.CONSOLE and ".stack/secrets.env" not in run_services.CONSOLE


def what_you_need() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("### What you need"):readme.index("### What you will see")]


def test_the_readme_names_every_package_the_first_run_would_install() -> None:
    scripts = "\n".join(path.read_text() for path in (ROOT / "deploy").glob("*.sh"))
    packages = set(re.findall(r"need_cmd \S+ ([a-z0-9.+-]+)", scripts))
    packages |= set(re.findall(r'apt_install "?([a-z0-9.+-]+)"?', scripts)) - {"install"}
    packages |= set(re.findall(r"missing\+=\(([a-z0-9.+-]+)\)", scripts))  # deploy/ui-deps.sh
    assert {"python3-venv", "openjdk-17-jre-headless", "maven", "postgresql", "prometheus", "chromium",
            "fonts-wqy-microhei"} <= packages
    table = what_you_need()
    assert not {p for p in packages if f" {p}" not in table}, table


def test_the_readme_shows_the_banner_make_run_prints() -> None:
    from deploy import run_services

    readme = (ROOT / "README.md").read_text()
    shown = readme[readme.index("### What you will see"):readme.index("### Credentials")]
    for label in re.findall(r"^  (\w[\w ]*):", run_services.BANNER, re.M):
        assert f"  {label}:" in shown, label


def test_the_browser_tests_dependencies_are_named_not_failed_for_a_user_who_cannot_install_them(clone: Path) -> None:
    env = {"PATH": unprivileged_path(clone), "HOME": str(clone), "CHROMIUM": str(clone / "no-chromium")}
    done = run(clone, "ui-deps.sh", env)
    assert done.returncode == 0, done.stderr  # `make test` goes on; the browser tests skip
    assert "sudo apt-get install -y chromium" in done.stdout


def test_a_prometheus_that_ends_while_starting_is_reported_with_its_status_and_its_last_words(clone: Path) -> None:
    bin_dir = clone / "fake-bin"
    executable(bin_dir / "prometheus", "#!/bin/bash\nsleep 1\necho 'level=error msg=\"opening storage failed\"' >&2\nexit 3\n")
    (bin_dir / "promtool").symlink_to(shutil.which("promtool") or "/usr/bin/promtool")
    done = run(clone, "prometheus.sh", {"PATH": f"{bin_dir}:{os.environ['PATH']}", "PROMETHEUS_PORT": "9"}, "start")
    assert done.returncode == 1
    assert "exited during startup with status 3" in done.stderr and "opening storage failed" in done.stderr
