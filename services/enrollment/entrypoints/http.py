"""The enrollment office's HTTP API: the same commands as `enrollment.commands`, answered synchronously.

Each POST body is exactly the command's payload as it would travel on Kafka (libs.contracts.enrollment).
It runs through the same `execute` in one database transaction with the outbox, so a command id is
idempotent across both ways in. Done: 200 with the outcome. Refused: 4xx with `reason_code` and `reason`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.contracts import enrollment as w
from libs.contracts.envelope import Payload, new_envelope
from libs.messaging.consumer import TRANSIENT_ERRORS
from libs.messaging.ports import Database
from services.enrollment.domain import EnrollmentRefused
from services.enrollment.service_layer import queries
from services.enrollment.service_layer.handlers import EnrollmentService
from services.enrollment.service_layer.translate import business_day

PRODUCER = "enrollment-http"
Clock = Callable[[], datetime]

ROUTES: tuple[tuple[str, type[Payload]], ...] = (
    ("/v1/persons", w.RegisterPerson),
    ("/v1/resident-premiums", w.EnrollResident),
    ("/v1/student-enrollments", w.EnrollStudent),
    ("/v1/newborn-enrollments", w.EnrollNewborn),
    ("/v1/employee-enrollments", w.EnrollEmployee),
    ("/v1/employee-enrollments/end", w.EndEmployeeCoverage),
    ("/v1/employee-contributions", w.RecordEmployeeContribution),
    ("/v1/deemed-contributions", w.RecordDeemedContribution),
    ("/v1/retirement-shortfall-payments", w.PayRetirementShortfall),
    ("/v1/retirements", w.Retire),
    ("/v1/hardship-groups", w.ChangeHardshipGroup),
    ("/v1/relatives", w.LinkRelative),
    ("/v1/relatives/unlink", w.UnlinkRelative),
    ("/v1/filings", w.FileCrossRegionTreatment),
    ("/v1/filings/cancel", w.CancelFiling),
    ("/v1/chronic-approvals", w.ApproveChronicDisease),
    ("/v1/chronic-approvals/revoke", w.RevokeChronicApproval),
    ("/v1/special-drug-designations", w.DesignateSpecialDrug),
    ("/v1/special-drug-designations/end", w.EndSpecialDrugDesignation),
    ("/v1/transfers/apply", w.ApplyForTransfer),
    ("/v1/transfers/request", w.RequestTransfer),
    ("/v1/transfers/complete", w.CompleteTransfer),
    ("/v1/transfers/cancel", w.CancelTransfer),
)

_STATUS = {"UNKNOWN_PERSON": 404, "FILING_UNKNOWN_PERSON": 404,
           "PERSON_ALREADY_REGISTERED": 409, "DUPLICATE_ID_NUMBER": 409, "COMMAND_ID_REUSED": 409}


def _problem(status: int, reason_code: str, reason: str) -> JSONResponse:
    return JSONResponse({"reason_code": reason_code, "reason": reason}, status_code=status)


def _command_endpoint(service: EnrollmentService, database: Database, model: type[Payload], clock: Clock) -> Callable[..., Any]:
    async def endpoint(command: Payload) -> JSONResponse:
        env = new_envelope(command, producer=PRODUCER, correlation_id=command.command_id, occurred_at=clock())  # type: ignore[attr-defined]
        async with database.transaction() as tx:
            outcome = await service.execute(tx, env)
        status = 200 if outcome.outcome == "done" else _STATUS.get(outcome.reason_code or "", 422)
        return JSONResponse(outcome.model_dump(mode="json"), status_code=status)

    # The body's type is chosen per route; FastAPI reads it from the annotations.
    endpoint.__annotations__ = {"command": model, "return": JSONResponse}
    return endpoint


def create_app(service: EnrollmentService, database: Database, clock: Clock = lambda: datetime.now(UTC)) -> FastAPI:
    app = FastAPI(title="Enrollment service (参保)", version="1",
                  description="Enrollment offices' commands and the person query. See docs/enrollment.md.")
    refused = {404: {"description": "Unknown person"}, 409: {"description": "Conflict"},
               422: {"description": "Refused by a rule, or an invalid body"}}
    for path, model in ROUTES:
        app.add_api_route(path, _command_endpoint(service, database, model, clock), methods=["POST"],
                          response_model=w.CommandOutcome, responses=refused, name=model.event_type,
                          summary=(model.__doc__ or "").strip().splitlines()[0])

    @app.get("/v1/persons/{psn_no}", response_model=w.PersonCoverage, responses={404: {"description": "Unknown person"}})
    async def person(psn_no: str, on: date | None = Query(default=None, description="Day of the coverage; default today")) -> Any:
        """A person's coverage on a day (like the national 1101 query), ID number and name masked."""
        async with database.transaction() as tx:
            found = await queries.person_coverage(service.store_for(tx), psn_no, on or business_day(clock()))
        return found or _problem(404, "UNKNOWN_PERSON", f"No insured person {psn_no} is registered.")

    @app.post("/v1/persons/lookup", response_model=w.PersonCoverage, responses={404: {"description": "Unknown person"}})
    async def lookup(query: w.PersonLookup) -> Any:
        """1101 by credential: the person registered with this resident ID number (POSTed: it stays out of URLs)."""
        async with database.transaction() as tx:
            found = await queries.person_by_certno(service.store_for(tx), query.certno, query.on or business_day(clock()))
        return found or _problem(404, "UNKNOWN_PERSON", "No insured person is registered with this ID number.")

    @app.get("/v1/persons/{psn_no}/resident-premium", response_model=w.ResidentPremiumQuote,
             responses={404: {"description": "Unknown person"}, 422: {"description": "Not configured"}})
    async def premium(psn_no: str, coverage_year: int = Query(ge=2000, le=2100)) -> Any:
        """What the person pays for a resident coverage year: standard, subsidy, personal part, payment period."""
        try:
            async with database.transaction() as tx:
                quote = await queries.resident_premium(service.store_for(tx), service.policy, psn_no, coverage_year)
        except EnrollmentRefused as refusal:
            return _problem(422, refusal.reason_code, str(refusal))
        return quote or _problem(404, "UNKNOWN_PERSON", f"No insured person {psn_no} is registered.")

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending values are left out: they may be an ID number or a name.
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        return _problem(422, "INVALID_REQUEST", f"The request does not fit the command's schema: {problems}.")

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        return _problem(503, "TRY_AGAIN", "The service cannot reach its database just now; send the same command again.")

    for error in TRANSIENT_ERRORS:
        app.add_exception_handler(error, unavailable)
    return app
