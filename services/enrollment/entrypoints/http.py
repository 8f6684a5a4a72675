"""The enrollment office's HTTP API: the same commands as `enrollment.commands`, answered synchronously.

Each POST body is exactly the command's payload as it would travel on Kafka (libs.contracts.enrollment).
It runs through the same `execute` in one database transaction with the outbox, so a command id is
idempotent across both ways in. Done: 200 with the outcome. Refused: 4xx with `reason_code` and `reason`.

Who may call each route is `ACCESS` (docs/security.md). An office acts only for persons of its own
region: the person's insured region, the region a transfer in progress goes to, or the region the
command names (a registration's, a student's university's, a transfer application's new region). A
command_id belongs to the office (region) that used it first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from libs.audit.store import store_for
from libs.auth import Principal, Role, RouteTable, ensure_owner
from libs.contracts import enrollment as w
from libs.contracts.envelope import Payload, new_envelope
from libs.http import claim_idempotency_key, harden
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

OFFICE, HOLDER, OPERATOR, AUDITOR, SERVICE = Role.office, Role.holder, Role.operator, Role.auditor, Role.service
ACCESS = RouteTable.of("enrollment", {
    **{f"POST {path}": {OFFICE} for path, _ in ROUTES},                      # an office: its own region's persons
    # an office: its region; a holder: self; the gateway (a service) answering a hospital's 1101
    "GET /v1/persons/{psn_no}": {OFFICE, HOLDER, OPERATOR, AUDITOR, SERVICE},
    "POST /v1/persons/lookup": {SERVICE},                                    # the gateway's 1101 by ID number
    "GET /v1/persons/{psn_no}/resident-premium": {OFFICE, HOLDER, OPERATOR, AUDITOR},
})
_NAMED_REGIONS = ("insuplc_admdvs", "to_admdvs")  # a registration's, a university's, a transfer's new region

_STATUS = {"UNKNOWN_PERSON": 404, "FILING_UNKNOWN_PERSON": 404,
           "PERSON_ALREADY_REGISTERED": 409, "DUPLICATE_ID_NUMBER": 409, "COMMAND_ID_REUSED": 409}


def _problem(status: int, reason_code: str, reason: str) -> JSONResponse:
    return JSONResponse({"reason_code": reason_code, "reason": reason}, status_code=status)


async def _regions(service: EnrollmentService, database: Database, psn_no: str, command: Payload | None = None) -> set[str]:
    """The regions whose offices may act for this person (empty when nobody by that number is registered)."""
    named = {getattr(command, f) for f in _NAMED_REGIONS if getattr(command, f, None)}
    async with database.transaction() as tx:
        stored = await service.store_for(tx).get_person(psn_no, for_update=False)
    if stored is None:
        return named
    state = stored.person.state
    return named | {state.insured_region} | {t.to_region for t in state.transfers if t.in_progress}


async def _ensure_may_act(who: Principal, service: EnrollmentService, database: Database, psn_no: str,
                          command: Payload | None = None) -> None:
    if who.role is OFFICE:
        regions = await _regions(service, database, psn_no, command)
        if regions:  # nobody registered by that number: the command itself answers UNKNOWN_PERSON
            ensure_owner(who, regions=regions)
    else:
        ensure_owner(who, psn_no=psn_no)


def _command_endpoint(service: EnrollmentService, database: Database, model: type[Payload], clock: Clock,
                      route: str) -> Callable[..., Any]:
    async def endpoint(request: Request, command: Payload, who: Principal = Depends(ACCESS.dependency(route))) -> JSONResponse:
        await _ensure_may_act(who, service, database, command.psn_no, command)  # type: ignore[attr-defined]
        await claim_idempotency_key(request, who, "enrollment.command_id", command.command_id)  # type: ignore[attr-defined]
        env = new_envelope(command, producer=PRODUCER, correlation_id=command.command_id, occurred_at=clock())  # type: ignore[attr-defined]
        async with database.transaction() as tx:
            outcome = await service.execute(tx, env)
        status = 200 if outcome.outcome == "done" else _STATUS.get(outcome.reason_code or "", 422)
        return JSONResponse(outcome.model_dump(mode="json"), status_code=status)

    # The body's type is chosen per route; FastAPI reads it from the annotations.
    endpoint.__annotations__ = {"request": Request, "command": model, "who": Principal, "return": JSONResponse}
    return endpoint


def create_app(service: EnrollmentService, database: Database, clock: Clock = lambda: datetime.now(UTC)) -> FastAPI:
    app = FastAPI(title="Enrollment service (参保)", version="1",
                  description="Enrollment offices' commands and the person query. See docs/enrollment.md.")
    refused: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown person"}, 409: {"description": "Conflict"},
                                                422: {"description": "Refused by a rule, or an invalid body"}}
    for path, model in ROUTES:
        app.add_api_route(path, _command_endpoint(service, database, model, clock, f"POST {path}"), methods=["POST"],
                          response_model=w.CommandOutcome, responses=refused, name=model.event_type,
                          summary=(model.__doc__ or "").strip().splitlines()[0])

    @app.get("/v1/persons/{psn_no}", response_model=w.PersonCoverage, responses={404: {"description": "Unknown person"}})
    async def person(psn_no: str, on: date | None = Query(default=None, description="Day of the coverage; default today"),
                     who: Principal = Depends(ACCESS.dependency("GET /v1/persons/{psn_no}"))) -> Any:
        """A person's coverage on a day (like the national 1101 query), ID number and name masked."""
        await _ensure_may_act(who, service, database, psn_no)
        async with database.transaction() as tx:
            found = await queries.person_coverage(service.store_for(tx), psn_no, on or business_day(clock()))
        return found or _problem(404, "UNKNOWN_PERSON", f"No insured person {psn_no} is registered.")

    @app.post("/v1/persons/lookup", response_model=w.PersonCoverage, responses={404: {"description": "Unknown person"}})
    async def lookup(query: w.PersonLookup,
                     _: Principal = Depends(ACCESS.dependency("POST /v1/persons/lookup"))) -> Any:
        """1101 by credential: the person registered with this resident ID number (POSTed: it stays out of URLs)."""
        async with database.transaction() as tx:
            found = await queries.person_by_certno(service.store_for(tx), query.certno, query.on or business_day(clock()))
        return found or _problem(404, "UNKNOWN_PERSON", "No insured person is registered with this ID number.")

    @app.get("/v1/persons/{psn_no}/resident-premium", response_model=w.ResidentPremiumQuote,
             responses={404: {"description": "Unknown person"}, 422: {"description": "Not configured"}})
    async def premium(psn_no: str, coverage_year: int = Query(ge=2000, le=2100),
                      who: Principal = Depends(ACCESS.dependency("GET /v1/persons/{psn_no}/resident-premium"))) -> Any:
        """What the person pays for a resident coverage year: standard, subsidy, personal part, payment period."""
        await _ensure_may_act(who, service, database, psn_no)
        try:
            async with database.transaction() as tx:
                quote = await queries.resident_premium(service.store_for(tx), service.policy, psn_no, coverage_year)
        except EnrollmentRefused as refusal:
            return _problem(422, refusal.reason_code, refusal.sentence)
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
    return harden(app, ACCESS, store_for(database))
