"""The Pipeline page reads Prometheus' text format just enough to show a few figures."""

from __future__ import annotations

from services.console.adapters.metrics import parse_metrics

EXPOSITION = """# HELP medins_outbox_depth Rows in the service's outbox not yet published.
# TYPE medins_outbox_depth gauge
medins_outbox_depth 3.0
medins_consumer_messages_total{consumer="settlement-claims.submitted",result="dead_lettered"} 2.0
medins_consumer_messages_total{consumer="settlement-claims.submitted",result="handled"} 120.0
"""


def test_series_are_read_with_their_labels() -> None:
    found = parse_metrics(EXPOSITION)
    assert found["medins_outbox_depth"] == [({}, 3.0)]
    assert ({"consumer": "settlement-claims.submitted", "result": "dead_lettered"}, 2.0) in found["medins_consumer_messages_total"]


def test_comments_and_garbage_are_passed_over() -> None:
    assert parse_metrics("# only a comment\nnot a metric line\n") == {}


def test_consumer_lag_counts_each_partition_once_and_sums_per_group() -> None:
    from services.console.adapters.metrics import lag_by_group, summed_lag

    seen: dict = {}
    series = [({"group": "g1", "topic": "t", "partition": "0"}, 5.0), ({"group": "g1", "topic": "t", "partition": "1"}, 2.0)]
    lag_by_group(series, seen)
    lag_by_group(series, seen)  # a second process exporting the same figures
    assert summed_lag(seen) == [{"labels": {"group": "g1"}, "value": 7.0}]


async def test_without_prometheus_the_lag_the_console_itself_measures_is_shown_with_the_services() -> None:
    import httpx

    from services.console.adapters.metrics import from_services
    from services.console.adapters.services import ServicesClient

    enrollment = 'medins_consumer_group_lag{group="enrollment-claims.outcomes",partition="0",topic="claims.outcomes"} 3.0\n'
    console = ('medins_consumer_group_lag{group="enrollment-claims.outcomes",partition="0",topic="claims.outcomes"} 3.0\n'
               'medins_consumer_group_lag{group="settlement-claims.submitted",partition="0",topic="claims.submitted"} 9.0\n')
    client = ServicesClient({"enrollment": "http://enrollment:8101"}, lambda: None)
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200, text=enrollment)))
    found = await from_services(client, own=console)
    assert found["kafka"]["consumer_lag"] == [{"labels": {"group": "enrollment-claims.outcomes"}, "value": 3.0},
                                              {"labels": {"group": "settlement-claims.submitted"}, "value": 9.0}]


async def test_without_prometheus_the_error_rates_are_the_services_failed_records_and_5xx_since_they_started() -> None:
    import httpx

    from services.console.adapters.metrics import error_rates
    from services.console.adapters.services import ServicesClient

    exposition = {8101: 'medins_consumer_messages_total{consumer="a",result="handled"} 90.0\n'
                        'medins_consumer_messages_total{consumer="a",result="failed"} 6.0\n'
                        'medins_http_requests_total{method="GET",route="/ready",status="200"} 99.0\n',
                  8102: 'medins_consumer_messages_total{consumer="b",result="dead_lettered"} 4.0\n'
                        'medins_http_requests_total{method="POST",route="/v1/x",status="503"} 1.0\n'}
    client = ServicesClient({"enrollment": "http://127.0.0.1:8101", "settlement": "http://127.0.0.1:8102"}, lambda: None)
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, text=exposition[request.url.port])))
    assert await error_rates("http://127.0.0.1:9", client) == {"source": "services", "consumer_errors": 0.1,
                                                                "http_5xx": 0.01}


async def test_with_no_prometheus_and_no_service_answering_the_error_rates_are_absent_not_zero() -> None:
    from services.console.adapters.metrics import error_rates
    from services.console.adapters.services import ServicesClient

    client = ServicesClient({"settlement": "http://127.0.0.1:9"}, lambda: None)
    assert await error_rates("http://127.0.0.1:9", client) == {"source": None, "consumer_errors": None, "http_5xx": None}
    await client.close()
