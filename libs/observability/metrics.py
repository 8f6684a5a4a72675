"""The platform's Prometheus metrics (prometheus_client, the default registry), defined once.

Every name is listed with its labels and meaning in docs/operations.md. Money is counted in integer
fen. No metric has a service label: Prometheus adds `service` and `process` to every series from
the target it scraped (deploy/prometheus/prometheus.yml). Label values are bounded sets: consumers,
routes, outcomes, reason codes, fund types, regions and institutions (a few thousand at most), never
a claim or a person.

The functions here are what the runtime calls on its hot path: each is a few label look-ups and
increments, once per batch or once per committed message of interest (measured by `make bench`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets from a millisecond to half a minute: a hop takes milliseconds, a retried batch seconds.
LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The hospital's wait: its aim is well under a second (docs/performance.md), a timeout is 30 s.
REPLY = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
BATCH = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

# -- the consumer runtime (libs/messaging/consumer.py), per consumer group --------------------------
MESSAGES = Counter(
    "medins_consumer_messages", "Messages a consumer took, by what became of them: handled, duplicate "
    "(already in the inbox), ignored (of no interest), dead_lettered, failed (in a batch given up: Kafka "
    "delivers them again).", ["consumer", "result"])
BATCHES_FAILED = Counter(
    "medins_consumer_batches_failed", "Batches a consumer gave up on (their offsets stay uncommitted and "
    "Kafka delivers them again).", ["consumer"])
RETRIES = Counter(
    "medins_consumer_retries", "Batch attempts repeated after a transient failure (database or broker).",
    ["consumer"])
BATCH_SIZE = Histogram("medins_consumer_batch_size", "Records in one batch a consumer took.", ["consumer"],
                       buckets=BATCH)
HANDLE_SECONDS = Histogram(
    "medins_consumer_batch_seconds", "Time to handle a batch, retries included, until its transaction committed.",
    ["consumer"], buckets=LATENCY)
TRANSACTION_SECONDS = Histogram(
    "medins_consumer_transaction_seconds", "Time of one attempt's database transaction (handlers, inbox, "
    "outbox, commit).", ["consumer"], buckets=LATENCY)

# -- the outbox and its relay (libs/messaging/relay.py), per service database -------------------------
OUTBOX_DEPTH = Gauge("medins_outbox_depth", "Rows in the service's outbox not yet published.")
OUTBOX_OLDEST = Gauge("medins_outbox_oldest_age_seconds",
                      "Age of the oldest unpublished outbox row (0 when the outbox is empty).")
RELAY_PUBLISHED = Counter("medins_relay_published_messages", "Outbox rows the relay published.")
RELAY_SECONDS = Histogram("medins_relay_publish_seconds",
                          "Time to publish one round of outbox rows and delete them.", buckets=LATENCY)
RELAY_FAILURES = Counter("medins_relay_failures", "Relay rounds that failed (Postgres or Kafka away, or another "
                         "error): the rows stay in the outbox and the relay tries again a second later.")
RELAY_PARKED = Counter("medins_relay_parked_messages", "Outbox rows Kafka will never take (too large, refused), "
                       "moved to outbox_parked for an operator.")

# -- HTTP (libs/observability/http.py) -------------------------------------------------------------------
READY = Gauge("medins_ready", "1 while the process's readiness check passes, 0 while it fails (database, migrations, "
              "kafka, consumers: as /ready answers), measured every READY_POLL_S s.", ["check"])
HTTP_REQUESTS = Counter("medins_http_requests", "HTTP requests answered, by route template and status.",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("medins_http_request_seconds", "Time to answer an HTTP request.",
                         ["method", "route"], buckets=LATENCY)

# -- the business, counted from the outbox rows a transaction committed (libs/observability/business.py) --
CLAIMS = Counter(
    "medins_claims", "Claim outcomes sent to institutions: settled, presettled, rejected (with its "
    "reason_code), cancelled.", ["outcome", "reason_code", "fixmedins_code"])
REPLY_SECONDS = Histogram(
    "medins_claim_reply_seconds", "From a claim's submission (its envelope's occurred_at) to its outcome's "
    "commit, by outcome.", ["outcome"], buckets=REPLY)
FUND_PAID = Counter(
    "medins_fund_paid_fen", "Fund payments of settled claims and manual reimbursements in fen, by fund type (setldetail.fund_pay_type) "
    "and the insured region whose fund pays.", ["fund", "insuplc_admdvs"])
FUND_REVERSED = Counter(
    "medins_fund_reversed_fen", "Fund payments taken back by cancellations, in fen.", ["fund", "insuplc_admdvs"])
REIMBURSEMENTS = Counter(
    "medins_reimbursements", "Manual reimbursements' outcomes sent to offices: settled, rejected (with its "
    "reason_code), cancelled, paid_out.", ["outcome", "reason_code"])
PERSONAL_PAID = Counter(
    "medins_personal_part_paid_fen", "The personal part of settled claims in fen, by how it was paid: "
    "acct (own account), mulaid (a relative's account, mutual aid), cash.", ["via"])
MUTUAL_AID_PAYMENTS = Counter("medins_mutual_aid_payments", "Claims whose personal part a relative's account paid.")
WALLET_TRANSFERS = Counter("medins_wallet_transfers", "Transfers from a holder's account to a relative's wallet.")
WALLET_TRANSFERRED = Counter("medins_wallet_transferred_fen", "Fen moved by wallet transfers.")
RELATIVE_PREMIUMS = Counter("medins_relative_premiums_paid_fen",
                            "Relatives' resident premiums paid from a holder's account (共济缴费), in fen.")
WALLET_REFUSALS = Counter("medins_wallet_refusals", "Wallet commands and claim payments refused, by reason code.",
                          ["reason_code"])
RECONCILIATIONS = Counter("medins_reconciliations", "Reconciliations of a clearing cycle, by result "
                          "(balanced or mismatch).", ["result"])
RECONCILIATION_MISMATCHED = Gauge(
    "medins_reconciliation_mismatched_lines", "Lines the last reconciliation found missing or different "
    "(0 when it balanced).")

# -- the hospital gateway (services/gateway/entrypoints/http.py), one national-interface call each -------
HIS_REQUESTS = Counter(
    "medins_gateway_requests", "Hospitals' national-interface calls answered, by transaction (infno: a "
    "published one, else `other`) and infcode (0 answered, -1 refused).", ["infno", "infcode"])
HIS_REFUSALS = Counter(
    "medins_gateway_refusals", "Calls refused, by the gateway's reason (BAD_SIGNATURE, RATE_LIMITED, "
    "NOT_SIGNED_IN, TIMEOUT, ...).", ["code"])
HIS_REPLY_TIMEOUTS = Counter(
    "medins_gateway_reply_timeouts", "Calls answered 'no answer in time': the platform's outcome did not "
    "arrive within GATEWAY_REPLY_TIMEOUT_S.", ["infno"])

# -- Kafka consumer lag (libs/observability/lag.py) ----------------------------------------------------------
# Exported by the lag collector as medins_consumer_group_lag{group, topic, partition} (a custom collector).


def observe_batch(consumer: str, size: int, seconds: float, handled: int, duplicates: int, ignored: int,
                  dead_lettered: int, attempts: int) -> None:
    """One batch committed: what became of its records and how long it took."""
    BATCH_SIZE.labels(consumer).observe(size)
    HANDLE_SECONDS.labels(consumer).observe(seconds)
    if handled - dead_lettered:
        MESSAGES.labels(consumer, "handled").inc(handled - dead_lettered)
    if duplicates:
        MESSAGES.labels(consumer, "duplicate").inc(duplicates)
    if ignored:
        MESSAGES.labels(consumer, "ignored").inc(ignored)
    if dead_lettered:
        MESSAGES.labels(consumer, "dead_lettered").inc(dead_lettered)
    if attempts > 1:
        RETRIES.labels(consumer).inc(attempts - 1)


def observe_failed_batch(consumer: str, size: int) -> None:
    """A batch given up after its retries: its records are counted as failed (they come again)."""
    BATCHES_FAILED.labels(consumer).inc()
    if size:
        MESSAGES.labels(consumer, "failed").inc(size)


def observe_his_call(infno: str, infcode: int, refused: str | None = None, timed_out: bool = False) -> None:
    """One call of a hospital answered (`infno` already bounded to the published transactions)."""
    HIS_REQUESTS.labels(infno, str(infcode)).inc()
    if refused is not None:
        HIS_REFUSALS.labels(refused).inc()
    if timed_out:
        HIS_REPLY_TIMEOUTS.labels(infno).inc()
