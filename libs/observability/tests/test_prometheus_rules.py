"""The Prometheus configuration, recording and alert rules, checked by promtool (Debian's package,
installed as deploy/prometheus.sh installs it), and every alert's runbook entry."""

from __future__ import annotations

import re
import subprocess

import yaml

from tests.support.stack import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
OPERATIONS = ROOT / "docs" / "operations.md"


def promtool_check() -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "deploy" / "prometheus.sh"), "check"], capture_output=True, text=True, timeout=300)


def test_the_configuration_rules_and_their_unit_tests_pass_promtool() -> None:
    checked = promtool_check()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "FAILED" not in checked.stdout


def alerts() -> list[dict]:
    groups = yaml.safe_load((PROMETHEUS / "rules" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_every_alert_has_a_runbook_entry_in_the_operations_guide() -> None:
    headings = {m.lower() for m in re.findall(r"^#### (\w+)", OPERATIONS.read_text(), flags=re.M)}
    for rule in alerts():
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
        assert rule["alert"].lower() in headings, f"no runbook entry for {rule['alert']}"


def test_every_alert_the_issue_asks_for_is_there_and_unit_tested() -> None:
    asked = {"DeadLettersGrowing", "ConsumerLagHigh", "OutboxRowsOld", "ClaimReplySlow", "InstitutionSilent",
             "FundPayoutAboveBaseline", "ReconciliationMismatch"}
    assert asked <= {rule["alert"] for rule in alerts()}
    tested = set()
    for path in (PROMETHEUS / "tests").glob("*.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            tested |= {case["alertname"] for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert {rule["alert"] for rule in alerts()} <= tested


def test_docker_compose_runs_the_official_image_pinned_with_the_same_rules() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = compose["services"]["prometheus"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert any("deploy/prometheus/rules" in volume for volume in prometheus["volumes"])
    scraped = {target for job in yaml.safe_load((PROMETHEUS / "prometheus.compose.yml").read_text())["scrape_configs"]
               for config in job.get("static_configs", []) for target in config["targets"]}
    services = {"medins-enrollment", "medins-settlement", "medins-wallet", "medins-clearing", "medins-gateway",
                "medins-console"}
    for name, service in compose["services"].items():
        if set(service.get("command", [])) & services:
            assert any(t.startswith(f"{name}:") for t in scraped), f"compose's Prometheus does not scrape {name}"
            assert "/ready" in " ".join(service["healthcheck"]["test"])
