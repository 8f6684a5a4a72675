"""How the launcher lays the services out in processes (deploy/launch.py), and that a process runs
only the subscriptions it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.launch import processes
from libs.contracts.topics import CLAIMS_SUBMITTED, ENROLLMENT_EVENTS, WALLET_PAYMENTS
from libs.messaging.runtime import ServiceRuntime
from libs.settings import ServiceSettings


def test_by_default_settlements_wallet_answers_have_a_process_of_their_own() -> None:
    laid_out = {label: (name, extra) for label, name, extra in processes({})}
    assert set(laid_out) == {"enrollment", "settlement", "settlement-payments", "wallet", "clearing"}
    assert laid_out["settlement"][1]["CONSUME_EXCEPT"] == "wallet.payments"
    assert laid_out["settlement"][1]["KAFKA_USERNAME"] == laid_out["settlement"][1]["PGUSER"] == "settlement"
    assert laid_out["settlement"][1]["KAFKA_PASSWORD"] == laid_out["settlement"][1]["PGPASSWORD"] == ""
    assert laid_out["settlement-payments"][0] == "settlement"
    assert laid_out["settlement-payments"][1]["CONSUME_ONLY"] == "wallet.payments"


def test_every_process_is_its_services_kafka_principal() -> None:
    for label, name, extra in processes({"SERVICE_INSTANCES": "wallet=2"}):
        assert extra["KAFKA_USERNAME"] == name, label
        assert extra["KAFKA_PASSWORD"] == "", label  # read from the secrets file, never inherited


def test_the_split_can_be_turned_off_and_instances_added() -> None:
    assert [label for label, _, _ in processes({"SPLIT_CONSUMERS": ""})] == [
        "enrollment", "settlement", "wallet", "clearing"]
    labels = [label for label, _, _ in processes({"SERVICE_INSTANCES": "wallet=2"})]
    assert labels.count("wallet") == 1 and "wallet-2" in labels
    with pytest.raises(ValueError):
        processes({"SPLIT_CONSUMERS": "billing:claims.submitted"})


@pytest.mark.parametrize(("only", "excluded", "runs"), [
    ("", "", {"claims.submitted", "wallet.payments", "enrollment.events"}),
    ("wallet.payments", "", {"wallet.payments"}),
    ("", "wallet.payments", {"claims.submitted", "enrollment.events"}),
])
def test_a_process_runs_only_the_subscriptions_it_is_given(only: str, excluded: str, runs: set[str]) -> None:
    settings = ServiceSettings(service_name="settlement", CONSUME_ONLY=only, CONSUME_EXCEPT=excluded,
                               KAFKA_USERNAME="settlement", KAFKA_PASSWORD="not used: nothing connects")
    runtime = ServiceRuntime(settings, Path("."))
    ran = {t.name for t in (CLAIMS_SUBMITTED, WALLET_PAYMENTS, ENROLLMENT_EVENTS)
           if runtime.consume(t, {}) is not None}
    assert ran == runs


def test_every_process_connects_to_postgres_as_its_services_role_with_the_password_of_the_secrets_file() -> None:
    for label, name, extra in processes({"SERVICE_INSTANCES": "wallet=2", "PGUSER": "owner"}):
        assert (extra["PGUSER"], extra["PGPASSWORD"]) == (name, ""), label
