"""The authorization matrix of every service, run against the real services.

Routes are enumerated from each service's OpenAPI document, not listed by hand: a route
without a declared expectation in ``RULES`` (or a declared route that no longer exists) fails
the test. For each route the expectation is declared once:

- ``roles``: the roles that may call it (``None``: public, no token needed);
- ``scope``: how the caller's unit limits it —
  ``any`` (reference data every admitted role reads, whatever its unit),
  ``own`` (answers only what lies in the caller's subtree: never refused for scope),
  ``subtree`` (acts on one unit's data: the caller's unit or a unit above it only; another
  unit's resource answers 403, or 404 as a missing one would),
  ``root`` (province-wide configuration: a role scoped at the province only),
  ``owner`` (webhook subscriptions: their owner, or a role over their unit);
- ``probe``: for ``subtree`` and ``root``, a request about a resource or unit of ``OWN`` that
  the test sends as a caller at ``OWN``, at its parent and at its sibling (and at the root);
  ``allowed_at`` narrows who passes where a domain rule does (the level directly above
  approves, the deciding unit decides).

Then: every non-public route refuses a missing, expired, wrong-secret, ``alg: none`` or
malformed token with 401; every role outside ``roles`` gets 403 (at the province, where unit
scope cannot be the reason); every probe passes for the units allowed and is refused (403/404)
for the others.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import STATUS_REPORTS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import RunningService, running_stack
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.auth import ISSUER, ROLES
from egov_runtime.units import upsert_units
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

ROOT, PARENT, OWN, SIBLING = "38", "38.SNV", "38.SNV.VL", "38.SNV.GDNN"
POSITIONS = {"own": OWN, "parent": PARENT, "sibling": SIBLING, "root": ROOT}
READ_PROC = frozenset({"admin", "operator", "officer"})
WRITE_PROC = frozenset({"admin", "operator", "officer", "integration"})
IND_READ = frozenset({"admin", "operator", "officer", "council", "integration"})
IND_WRITE = frozenset({"admin", "operator", "officer", "integration"})
NOM_READ = frozenset({"admin", "operator", "officer", "council", "head"})
NOM_WRITE = frozenset({"admin", "officer"})
ADMIN_OP = frozenset({"admin", "operator"})
SUBS = frozenset({"admin", "operator", "integration"})
# the probe nomination is of OWN and decided by its parent: the deciding unit (and above) acts
DECIDING = frozenset({"parent", "root"})


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


Probe = Callable[["World"], Awaitable[Call]]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str] | None
    scope: str = "any"
    probe: Probe | None = None
    allowed_at: frozenset[str] = frozenset({"own", "parent", "root"})
    why_no_probe: str = ""


def public() -> Rule:
    return Rule(None, "public")


@dataclass
class World:
    """The running services and the resources of ``OWN`` the probes act on."""

    svc: dict[str, RunningService]
    dossier: str = ""
    person: str = ""
    nomination: str = ""
    council: str = ""
    session: str = ""
    decision: str = ""
    delivery: str = ""
    templates: list[dict[str, Any]] = field(default_factory=list)
    notifier_rules: list[dict[str, Any]] = field(default_factory=list)
    definition: dict[str, Any] = field(default_factory=dict)
    indicator_rules: list[dict[str, Any]] = field(default_factory=list)


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


# -- probes: a valid request about OWN ---------------------------------------------------------


async def status_report(w: World) -> Call:
    data = c.StatusReported(
        dossier_code=w.dossier,
        procedure_code="M5",
        unit_code=OWN,
        status="supplement-requested",
        occurred_at=datetime(2026, 3, 3, 9, tzinfo=VN_TZ),
    )
    return Call("/v1/status-reports", json=data.model_dump(mode="json"))


async def new_dossier_report(w: World) -> Call:
    data = c.StatusReported(
        dossier_code=uid("HS-"),
        procedure_code="M5",
        unit_code=OWN,
        status="received",
        occurred_at=datetime(2026, 3, 2, 9, tzinfo=VN_TZ),
    )
    return Call("/v1/status-reports", json=data.model_dump(mode="json"))


async def submission(w: World) -> Call:
    return Call(
        "/v1/submissions",
        json={
            "submission_id": uid("MX-"),
            "unit_code": OWN,
            "period": "2026-10",
            "values": [{"indicator_code": "VL_GQVL", "value": "1"}],
            "submitted_by": "ma-tran",
            "submitted_at": datetime.now(VN_TZ).isoformat(),
        },
    )


def by_unit(path: str, **params: str) -> Probe:
    async def probe(w: World) -> Call:
        return Call(
            path.format(unit=OWN), params={k: v.format(unit=OWN) for k, v in params.items()}
        )

    return probe


def with_body(path: str, body: Callable[[World], Any] | None) -> Probe:
    async def probe(w: World) -> Call:
        return Call(path.format(w=w, unit=OWN), json=body(w) if body else None)

    return probe


def on(path: str, **params: str) -> Probe:
    """A request about a resource of OWN from the world (``{w.dossier}``…)."""

    async def probe(w: World) -> Call:
        return Call(path.format(w=w), params={k: v.format(w=w) for k, v in params.items()})

    return probe


def procedure_body(w: World) -> Any:
    return {"name": "Ma trận", "processing_value": 5, "processing_unit": "working-days"}


def definition_body(w: World) -> Any:
    return w.definition


DATA_SET = "MATRAN-BC"


def data_set_body(w: World) -> Any:
    return {"name_vi": "Ma trận", "period_kind": "month", "indicators": ["VL_GQVL"], "units": [OWN]}


def template_body(w: World) -> Any:
    t = w.templates[0]
    return {"subject": t["subject"], "body": t["body"], "html": t.get("html")}


def notifier_rule_body(w: World) -> Any:
    r = w.notifier_rules[0]
    keep = {k: v for k, v in r.items() if k in _NOTIFIER_RULE_FIELDS}
    return keep


_NOTIFIER_RULE_FIELDS = {
    "event_type",
    "channels",
    "audience",
    "roles",
    "ancestor_roles",
    "nearest_only",
    "unit_path",
    "contact_path",
    "requires",
    "template_id",
    "priority",
    "enabled",
}


def cluster_body(w: World) -> Any:
    return {"name": "Cụm thi đua ma trận", "unit_code": OWN, "members": [OWN, OWN + ".X1"]}


PROC, IND, NOM, NOTI = "admin-procedures", "indicators", "nominations", "notifier"

RULES: dict[tuple[str, str], Rule] = {
    # admin-procedures
    (PROC, "POST /v1/status-reports"): Rule(WRITE_PROC, "subtree", status_report),
    (PROC, "GET /v1/dossiers/{code}"): Rule(READ_PROC, "subtree", on("/v1/dossiers/{w.dossier}")),
    (PROC, "GET /v1/dossiers"): Rule(READ_PROC, "subtree", by_unit("/v1/dossiers", unit="{unit}")),
    (PROC, "POST /v1/dossiers/{code}/apology"): Rule(
        frozenset({"admin", "officer"}),
        "subtree",
        with_body(
            "/v1/dossiers/{w.dossier}/apology",
            lambda w: {"new_due_at": "2026-03-03T09:00:00+07:00", "reason": "Ma trận quyền"},
        ),
    ),
    (PROC, "GET /v1/reports/on-time"): Rule(
        READ_PROC, "subtree", by_unit("/v1/reports/on-time", unit="{unit}", period="2026")
    ),
    (PROC, "GET /v1/reports/service-index"): Rule(
        READ_PROC, "subtree", by_unit("/v1/reports/service-index", unit="{unit}", period="2026-03")
    ),
    (PROC, "GET /v1/calendar/working-days"): public(),
    (PROC, "GET /v1/calendar/exceptions"): Rule(READ_PROC, "any"),
    (PROC, "PUT /v1/calendar/exceptions/{day}"): Rule(
        ADMIN_OP,
        "root",
        with_body(
            "/v1/calendar/exceptions/2031-12-24", lambda w: {"kind": "day-off", "note": "Ma trận"}
        ),
    ),
    (PROC, "DELETE /v1/calendar/exceptions/{day}"): Rule(
        ADMIN_OP, "root", on("/v1/calendar/exceptions/2031-12-24")
    ),
    (PROC, "GET /v1/procedures"): public(),
    (PROC, "GET /v1/procedures/{code}"): public(),
    (PROC, "PUT /v1/procedures/{code}"): Rule(
        ADMIN_OP, "root", with_body("/v1/procedures/M5", procedure_body)
    ),
    # indicators
    (IND, "POST /v1/submissions"): Rule(IND_WRITE, "subtree", submission),
    (IND, "POST /v1/imports"): Rule(
        IND_WRITE, "own", why_no_probe="rows outside the caller's subtree are conflicts (200)"
    ),
    (IND, "GET /v1/values"): Rule(
        IND_READ, "subtree", by_unit("/v1/values", unit="{unit}", period="2026")
    ),
    (IND, "GET /v1/reports/{unit}/{period}"): Rule(
        IND_READ, "subtree", by_unit("/v1/reports/{unit}/2026")
    ),
    (IND, "GET /v1/achievement"): Rule(
        IND_READ, "subtree", by_unit("/v1/achievement", unit="{unit}", period="2026")
    ),
    (IND, "PUT /v1/targets/{indicator}/{unit}/{period}"): Rule(
        ADMIN_OP,
        "subtree",
        with_body("/v1/targets/VL_GQVL/{unit}/2026", lambda w: {"target": "10"}),
    ),
    (IND, "GET /v1/targets"): Rule(IND_READ, "subtree", by_unit("/v1/targets", unit="{unit}")),
    (IND, "POST /v1/approvals"): Rule(
        frozenset({"admin", "operator", "officer"}),
        "subtree",
        with_body("/v1/approvals", lambda w: {"unit_code": OWN, "period": "2026-09"}),
    ),
    (IND, "GET /v1/definitions"): Rule(IND_READ, "any"),
    (IND, "GET /v1/definitions/{code}"): Rule(IND_READ, "any"),
    (IND, "PUT /v1/definitions/{code}"): Rule(
        frozenset({"admin"}),
        "root",
        with_body("/v1/definitions/{w.definition[code]}", definition_body),
    ),
    (IND, "GET /v1/rules"): Rule(IND_READ, "any"),
    (IND, "PUT /v1/rules/{rule_id}"): Rule(
        frozenset({"admin"}),
        "root",
        with_body("/v1/rules/{w.indicator_rules[0][id]}", lambda w: w.indicator_rules[0]),
    ),
    (IND, "DELETE /v1/rules/{rule_id}"): Rule(
        frozenset({"admin"}), "root", on("/v1/rules/MATRAN-NO-SUCH")
    ),
    (IND, "GET /v1/export"): Rule(
        IND_READ, "subtree", by_unit("/v1/export", unit="{unit}", period="2026")
    ),
    (IND, "PUT /v1/plan-targets/{indicator}/{unit}/{period}"): Rule(
        ADMIN_OP,
        "subtree",
        with_body(
            "/v1/plan-targets/VL_GQVL/{unit}/2016-2020",
            lambda w: {"target_low": "10", "target_high": "12"},
        ),
    ),
    (IND, "GET /v1/plan-periods/{period}"): Rule(
        IND_READ,
        "subtree",
        by_unit("/v1/plan-periods/2016-2020", unit="{unit}", indicator="VL_GQVL"),
    ),
    (IND, "GET /v1/year-to-date"): Rule(
        IND_READ,
        "subtree",
        by_unit("/v1/year-to-date", unit="{unit}", indicator="VL_GQVL", year="2026"),
    ),
    (IND, "GET /v1/data-sets"): Rule(IND_READ, "any"),
    (IND, "PUT /v1/data-sets/{code}"): Rule(
        frozenset({"admin"}), "root", with_body(f"/v1/data-sets/{DATA_SET}", data_set_body)
    ),
    (IND, "GET /v1/reporting-rates"): Rule(
        IND_READ,
        "subtree",
        by_unit("/v1/reporting-rates", unit="{unit}", period="2026-09", data_set=DATA_SET),
    ),
    (IND, "GET /v1/reporting-rates/missing"): Rule(
        IND_READ,
        "subtree",
        by_unit("/v1/reporting-rates/missing", unit="{unit}", period="2026-09", data_set=DATA_SET),
    ),
    # nominations
    (NOM, "PUT /v1/register/people/{person_id}"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/people/{w.person}", lambda w: {"name": "Lê Thị Ma", "unit_code": OWN}
        ),
    ),
    (NOM, "GET /v1/register/people/{person_id}"): Rule(
        NOM_READ, "subtree", on("/v1/register/people/{w.person}")
    ),
    (NOM, "GET /v1/register/people"): Rule(
        NOM_READ, "subtree", by_unit("/v1/register/people", unit="{unit}")
    ),
    (NOM, "PUT /v1/register/people/{person_id}/ratings/{year}"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/people/{w.person}/ratings/2024", lambda w: {"rating": "hoan-thanh-tot"}
        ),
    ),
    (NOM, "POST /v1/register/people/{person_id}/disciplines"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/people/{w.person}/disciplines",
            lambda w: {"year": 2019, "level": "khien-trach", "decision_number": uid("KL-")},
        ),
    ),
    (NOM, "POST /v1/register/people/{person_id}/initiatives"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/people/{w.person}/initiatives",
            lambda w: {
                "initiative_id": uid("SK-"),
                "title": "Sáng kiến ma trận",
                "year": 2024,
                "recognised_by": "Hội đồng sáng kiến",
                "scope": "unit",
            },
        ),
    ),
    (NOM, "POST /v1/register/pending-matters"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/pending-matters",
            lambda w: {
                "matter_id": uid("VV-"),
                "nominee_ref": w.person,
                "kind": "complaint",
                "opened_on": "2026-01-05",
                "reference": "Đơn ma trận",
            },
        ),
    ),
    (NOM, "PUT /v1/register/units/{unit_code}/ratings/{year}"): Rule(
        NOM_WRITE,
        "subtree",
        with_body("/v1/register/units/{unit}/ratings/2024", lambda w: {"rating": "hoan-thanh-tot"}),
    ),
    (NOM, "PUT /v1/register/clusters/{cluster_id}/years/{year}"): Rule(
        NOM_WRITE, "subtree", with_body("/v1/register/clusters/CUM-MATRAN/years/2026", cluster_body)
    ),
    (NOM, "PUT /v1/register/clusters/{cluster_id}/years/{year}/leaders"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/register/clusters/CUM-MATRAN/years/2026/leaders",
            lambda w: {"leaders": [OWN], "meeting_reference": "BB-MT", "meeting_on": "2026-01-10"},
        ),
    ),
    (NOM, "GET /v1/register/clusters/{cluster_id}"): Rule(
        NOM_READ, "subtree", on("/v1/register/clusters/CUM-MATRAN")
    ),
    (NOM, "GET /v1/register/clusters"): Rule(
        NOM_READ, "subtree", by_unit("/v1/register/clusters", unit="{unit}")
    ),
    (NOM, "POST /v1/register/imports/{kind}"): Rule(
        NOM_WRITE, "own", why_no_probe="rows outside the caller's subtree are refused rows (200)"
    ),
    (NOM, "POST /v1/movements"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/movements",
            lambda w: {
                "title": "Phong trào ma trận",
                "unit_code": OWN,
                "year": 2026,
                "starts_on": "2026-01-01",
            },
        ),
    ),
    (NOM, "GET /v1/movements"): Rule(NOM_READ, "own"),
    (NOM, "POST /v1/registrations"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/registrations",
            lambda w: {
                "year": 2026,
                "nominee_kind": "individual",
                "nominee_ref": w.person,
                "award": "lao-dong-tien-tien",
            },
        ),
    ),
    (NOM, "GET /v1/registrations"): Rule(
        NOM_READ, "subtree", by_unit("/v1/registrations", unit="{unit}")
    ),
    (NOM, "POST /v1/nominations"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/nominations",
            lambda w: {
                "nominee": {"kind": "individual", "ref": w.person},
                "award": "lao-dong-tien-tien",
                "achievement_year": 2025,
            },
        ),
    ),
    (NOM, "GET /v1/nominations"): Rule(
        NOM_READ, "subtree", by_unit("/v1/nominations", unit="{unit}")
    ),
    (NOM, "GET /v1/nominations/{nomination_id}"): Rule(
        NOM_READ, "subtree", on("/v1/nominations/{w.nomination}")
    ),
    (NOM, "GET /v1/nominations/{nomination_id}/eligibility"): Rule(
        NOM_READ, "subtree", on("/v1/nominations/{w.nomination}/eligibility")
    ),
    (NOM, "POST /v1/nominations/{nomination_id}/submit"): Rule(
        NOM_WRITE,
        "subtree",
        with_body("/v1/nominations/{w.nomination}/submit", lambda w: {"documents": []}),
    ),
    # the deciding unit's officers check, return and accept a file
    (NOM, "POST /v1/nominations/{nomination_id}/completeness-check"): Rule(
        NOM_WRITE,
        "subtree",
        with_body("/v1/nominations/{w.nomination}/completeness-check", None),
        allowed_at=DECIDING,
    ),
    (NOM, "POST /v1/nominations/{nomination_id}/return"): Rule(
        NOM_WRITE,
        "subtree",
        with_body("/v1/nominations/{w.nomination}/return", lambda w: {"reasons": ["Thiếu"]}),
        allowed_at=DECIDING,
    ),
    (NOM, "POST /v1/nominations/{nomination_id}/accept"): Rule(
        NOM_WRITE,
        "subtree",
        with_body("/v1/nominations/{w.nomination}/accept", None),
        allowed_at=DECIDING,
    ),
    # the deciding unit's head decides; the nominee's own unit does not
    (NOM, "POST /v1/nominations/{nomination_id}/approve"): Rule(
        frozenset({"head"}),
        "subtree",
        with_body("/v1/nominations/{w.nomination}/approve", lambda w: {}),
        allowed_at=DECIDING,
    ),
    (NOM, "POST /v1/nominations/{nomination_id}/reject"): Rule(
        frozenset({"head"}),
        "subtree",
        with_body("/v1/nominations/{w.nomination}/reject", lambda w: {"reason": "Ma trận"}),
        allowed_at=DECIDING,
    ),
    (NOM, "POST /v1/nominations/{nomination_id}/forward"): Rule(
        frozenset({"head"}),
        "subtree",
        with_body("/v1/nominations/{w.nomination}/forward", lambda w: {"to_level": "province"}),
        allowed_at=DECIDING,
    ),
    (NOM, "POST /v1/councils"): Rule(
        NOM_WRITE,
        "subtree",
        with_body(
            "/v1/councils",
            lambda w: {
                "unit_code": OWN,
                "name": "Hội đồng ma trận",
                "members": [{"member_id": "tv-matran", "name": "Thành viên"}],
            },
        ),
    ),
    (NOM, "GET /v1/councils"): Rule(NOM_READ, "subtree", by_unit("/v1/councils", unit="{unit}")),
    (NOM, "POST /v1/councils/{council_id}/sessions"): Rule(
        frozenset({"admin", "officer", "council"}),
        "subtree",
        with_body(
            "/v1/councils/{w.council}/sessions",
            lambda w: {"held_on": "2026-01-20", "present": ["tv-matran"]},
        ),
    ),
    (NOM, "GET /v1/sessions/{session_id}"): Rule(
        NOM_READ, "subtree", on("/v1/sessions/{w.session}")
    ),
    (NOM, "POST /v1/sessions/{session_id}/tallies"): Rule(
        frozenset({"council"}),
        "subtree",
        why_no_probe="only the session's members record tallies (test_nominations_service)",
    ),
    (NOM, "POST /v1/decisions"): Rule(
        frozenset({"head"}),
        "subtree",
        with_body(
            "/v1/decisions",
            lambda w: {
                "number": uid("") + "/QĐ-MT",
                "decided_on": "2026-02-01",
                "signer": "Giám đốc",
                "deciding_unit_code": PARENT,
                "nomination_ids": [w.nomination],
            },
        ),
        allowed_at=DECIDING,
    ),
    (NOM, "GET /v1/decisions/{decision_id}"): Rule(
        NOM_READ, "subtree", on("/v1/decisions/{w.decision}"), allowed_at=DECIDING
    ),
    (NOM, "GET /v1/awards"): Rule(NOM_READ, "subtree", by_unit("/v1/awards", unit="{unit}")),
    (NOM, "GET /v1/reports/awards"): Rule(
        NOM_READ, "subtree", by_unit("/v1/reports/awards", unit="{unit}", year="2026")
    ),
    (NOM, "GET /v1/reports/proposals"): Rule(
        NOM_READ, "subtree", on("/v1/reports/proposals", session="{w.session}")
    ),
    (NOM, "GET /v1/reports/decision-annex"): Rule(
        NOM_READ,
        "subtree",
        on("/v1/reports/decision-annex", decision="{w.decision}"),
        allowed_at=DECIDING,
    ),
    # notifier
    (NOTI, "PUT /v1/templates/{tid}"): Rule(
        ADMIN_OP, "root", with_body("/v1/templates/{w.templates[0][id]}", template_body)
    ),
    (NOTI, "GET /v1/templates"): Rule(ADMIN_OP, "any"),
    (NOTI, "POST /v1/templates/{tid}/preview"): Rule(ADMIN_OP, "any"),
    (NOTI, "PUT /v1/rules/{rid}"): Rule(
        ADMIN_OP, "root", with_body("/v1/rules/{w.notifier_rules[0][id]}", notifier_rule_body)
    ),
    (NOTI, "GET /v1/rules"): Rule(ADMIN_OP, "any"),
    (NOTI, "PUT /v1/recipients/{pid}"): Rule(
        ADMIN_OP,
        "subtree",
        with_body(
            "/v1/recipients/matran-{unit}",
            lambda w: {"unit_code": OWN, "role": "head", "name": "Lê Văn Ma"},
        ),
    ),
    (NOTI, "GET /v1/deliveries"): Rule(ADMIN_OP, "own"),
    (NOTI, "POST /v1/deliveries/{nid}/replay"): Rule(
        ADMIN_OP, "subtree", on("/v1/deliveries/{w.delivery}/replay")
    ),
    (NOTI, "POST /v1/deliveries/recover"): Rule(
        ADMIN_OP,
        "root",
        with_body("/v1/deliveries/recover", lambda w: {"since": "2031-01-01T00:00:00+07:00"}),
    ),
    # every signed-in person reads their own in-app items (another's answers 404)
    (NOTI, "GET /v1/inbox"): Rule(frozenset(ROLES), "own"),
    (NOTI, "POST /v1/inbox/{item_id}/read"): Rule(frozenset(ROLES), "own"),
    (NOTI, "GET /v1/feed"): Rule(frozenset(ROLES), "subtree", by_unit("/v1/feed", unit="{unit}")),
    (NOTI, "POST /v1/subscriptions"): Rule(
        SUBS,
        "subtree",
        with_body(
            "/v1/subscriptions",
            lambda w: {
                "system": "Ma trận",
                "url": "https://hook.example.vn/matran",
                "event_types": ["vn.egov.procedures.dossier.*"],
                "unit_code": OWN,
            },
        ),
    ),
    **{
        (NOTI, route): Rule(SUBS, "owner")
        for route in (
            "GET /v1/subscriptions",
            "GET /v1/subscriptions/audit",
            "GET /v1/subscriptions/{sid}",
            "PATCH /v1/subscriptions/{sid}",
            "DELETE /v1/subscriptions/{sid}",
            "POST /v1/subscriptions/{sid}/disable",
            "POST /v1/subscriptions/{sid}/enable",
            "POST /v1/subscriptions/{sid}/rotate-secret",
            "POST /v1/subscriptions/{sid}/secrets/retire",
        )
    },
}
SERVICES = {PROC: PROCEDURES, IND: INDICATORS, NOM: NOMINATIONS, NOTI: NOTIFIER}
# routes every service has: health, metrics, schemas, AsyncAPI, the unit hierarchy — public
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/metrics", "/schemas", "/asyncapi.json", "/v1/units")


def rule_of(service: str, route: str) -> Rule | None:
    if route.split(" ", 1)[1].startswith(PUBLIC_PREFIXES):
        return public()
    return RULES.get((service, route))


# -- the running services ----------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[World]:
    stack = {
        PROC: (PROCEDURES, {"timer_interval_s": 3600, "rates_interval_s": 3600}),
        IND: (INDICATORS, {}),
        NOM: (NOMINATIONS, {}),
        NOTI: (NOTIFIER, {}),
    }
    async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
        w = World(svc)
        await _setup(w)
        yield w


async def _setup(w: World) -> None:
    proc, ind, nom, noti = w.svc[PROC], w.svc[IND], w.svc[NOM], w.svc[NOTI]
    async with proc.runtime.transaction() as tx:
        await catalogue.upsert_procedures(
            tx.conn,
            [
                {
                    "code": "M5",
                    "name": "Năm ngày",
                    "processing_value": 5,
                    "processing_unit": "working-days",
                }
            ],
        )
    w.dossier = uid("HS-")
    report = c.StatusReported(
        dossier_code=w.dossier,
        procedure_code="M5",
        unit_code=OWN,
        status="received",
        occurred_at=datetime(2026, 3, 2, 9, tzinfo=VN_TZ),
    )
    r = await proc.client.post(
        "/v1/status-reports",
        json=report.model_dump(mode="json"),
        headers=proc.token("integration", unit=OWN),
    )
    assert r.status_code == 202, r.text

    async def received() -> bool:
        async with proc.runtime.pool.acquire() as conn:
            return bool(
                await conn.fetchval("SELECT 1 FROM dossiers WHERE dossier_code = $1", w.dossier)
            )

    await wait_for(received, 30, message="the probe dossier received")

    officer = nom.token("officer", unit=OWN)
    w.person = uid("CB")
    r = await nom.client.put(
        f"/v1/register/people/{w.person}",
        json={"name": "Nguyễn Văn Ma", "unit_code": OWN},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    r = await nom.client.post(
        "/v1/nominations",
        json={
            "nominee": {"kind": "individual", "ref": w.person},
            "award": "chien-si-thi-dua-co-so",
            "achievement_year": 2025,
        },
        headers=officer,
    )
    assert r.status_code == 201, r.text
    w.nomination = r.json()["nomination_id"]
    r = await nom.client.post(
        "/v1/councils",
        json={
            "unit_code": OWN,
            "name": "Hội đồng ma trận",
            "members": [{"member_id": "tv-matran", "name": "Thành viên"}],
        },
        headers=officer,
    )
    assert r.status_code == 201, r.text
    w.council = r.json()["council_id"]
    r = await nom.client.post(
        f"/v1/councils/{w.council}/sessions",
        json={"held_on": "2026-01-20", "present": ["tv-matran"]},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    w.session = r.json()["session_id"]
    # a cluster run by OWN (its members must be known units)
    async with nom.runtime.transaction() as tx:
        await upsert_units(
            tx.conn,
            [
                {
                    "unit_code": OWN + ".X1",
                    "name": "Tổ ma trận",
                    "level": "agency",
                    "parent_code": OWN,
                }
            ],
        )
    r = await nom.client.put(
        "/v1/register/clusters/CUM-MATRAN/years/2026", json=cluster_body(w), headers=officer
    )
    assert r.status_code in (200, 201), r.text

    # a decision of the deciding unit (PARENT) on a file of OWN
    r = await nom.client.put(
        f"/v1/register/people/{w.person}/ratings/2025",
        json={"rating": "hoan-thanh-tot"},
        headers=officer,
    )
    assert r.status_code in (200, 201), r.text
    r = await nom.client.post(
        "/v1/nominations",
        json={
            "nominee": {"kind": "individual", "ref": w.person},
            "award": "lao-dong-tien-tien",
            "achievement_year": 2025,
            "documents": ["to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong"],
            "submit": True,
        },
        headers=officer,
    )
    assert r.status_code == 201, r.text
    decided = r.json()["nomination_id"]
    dept, head = nom.token("officer", unit=PARENT), nom.token("head", unit=PARENT)
    r = await nom.client.post(f"/v1/nominations/{decided}/completeness-check", headers=dept)
    assert r.status_code == 200 and r.json()["status"] == "under-review", r.text
    r = await nom.client.post(f"/v1/nominations/{decided}/approve", json={}, headers=head)
    assert r.status_code == 200, r.text
    r = await nom.client.post(
        "/v1/decisions",
        json={
            "number": uid("") + "/QĐ-SNV",
            "decided_on": "2026-01-25",
            "signer": "Giám đốc Sở",
            "deciding_unit_code": PARENT,
            "nomination_ids": [decided],
        },
        headers=head,
    )
    assert r.status_code == 201, r.text
    w.decision = r.json()["decision_id"]

    admin = ind.token("admin")
    w.definition = (await ind.client.get("/v1/definitions/VL_GQVL", headers=admin)).json()
    w.indicator_rules = (await ind.client.get("/v1/rules", headers=admin)).json()["items"]
    r = await ind.client.put(f"/v1/data-sets/{DATA_SET}", json=data_set_body(w), headers=admin)
    assert r.status_code == 200, r.text

    await seed_notifier(noti.runtime)
    admin = noti.token("admin")
    w.templates = (await noti.client.get("/v1/templates", headers=admin)).json()["items"]
    w.notifier_rules = (await noti.client.get("/v1/rules", headers=admin)).json()["items"]
    w.delivery = str(uuid.uuid4())
    async with noti.runtime.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO notifications (id, rule_id, event_id, event_type, channel, recipient,"
            " recipient_label, unit_code, subject, body, payload, status, next_attempt_at)"
            " VALUES ($1, 'matran', $2, 'vn.egov.test.v1', 'email', 'a@b.vn', 'A', $3, 's', 'b',"
            " $4, 'failed', now())",
            uuid.UUID(w.delivery),
            uid("ev-"),
            OWN,
            b"{}",
        )


# -- the matrix --------------------------------------------------------------------------------


def routes(app: Any) -> list[str]:
    doc = app.openapi()
    return [f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops]


def fill(path: str) -> str:
    """Placeholder path parameters: enough to reach the authorization checks."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        return {
            "day": "2031-12-25",
            "year": "2026",
            "period": "2026",
            "unit": ROOT,
            "unit_code": ROOT,
            "nid": str(uuid.UUID(int=0)),
            "sid": str(uuid.UUID(int=0)),
            "item_id": "0",
            "kind": "awards",
            "event_type": "vn.egov.procedures.dossier.received.v1",
        }.get(name, "MATRAN-NO-SUCH")

    return re.sub(r"\{(\w+)\}", value, path)


async def send(svc: RunningService, route: str, headers: dict[str, str], call: Call | None = None):
    method, path = route.split(" ", 1)
    call = call or Call(fill(path), json={} if method in ("POST", "PUT", "PATCH") else None)
    return await svc.client.request(
        method,
        call.path,
        params=call.params,
        json=call.json if call.content is None else None,
        content=call.content,
        headers={**headers, **call.headers},
    )


def bad_tokens(secret: str) -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "x", "roles": ["admin"], "unit": ROOT, "exp": now + 600}

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return {
        "missing": {},
        # expired beyond the leeway records on Kafka get (7 days, for outages)
        "expired": bearer(
            jwt.encode({**claims, "exp": now - 8 * 86_400}, secret, algorithm="HS256")
        ),
        "wrong-secret": bearer(
            jwt.encode(claims, "another-secret-of-the-same-length-0123", algorithm="HS256")
        ),
        "alg-none": bearer(jwt.encode(claims, None, algorithm="none")),
        "malformed": bearer("not.a.token"),
        "not-bearer": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    }


async def test_every_route_declares_its_authorization(world: World) -> None:
    undeclared, seen = [], set()
    for name, svc in world.svc.items():
        for route in routes(svc.app):
            seen.add((name, route))
            if rule_of(name, route) is None:
                undeclared.append(f"{name}: {route}")
    assert undeclared == [], "declare who may call these routes in RULES"
    stale = sorted(f"{n}: {r}" for n, r in set(RULES) - seen)
    assert stale == [], "RULES names routes that no longer exist"
    unprobed = [
        f"{n}: {r}"
        for (n, r), rule in RULES.items()
        if rule.scope in ("subtree", "root") and rule.probe is None and not rule.why_no_probe
    ]
    assert unprobed == [], "a unit-scoped route needs a probe (or the reason it has none)"


async def test_bad_tokens_are_refused_by_every_route(world: World) -> None:
    failures = []
    for name, svc in world.svc.items():
        tokens = bad_tokens(svc.settings.jwt_secret.get_secret_value())
        for route in routes(svc.app):
            rule = rule_of(name, route)
            if rule is None or rule.roles is None:
                continue
            for label, headers in tokens.items():
                r = await send(svc, route, headers)
                if r.status_code != 401:
                    failures.append(f"{name} {route} {label}: {r.status_code}")
    assert not failures, "\n".join(failures)


async def test_each_role_gets_only_its_routes(world: World) -> None:
    failures = []
    for name, svc in world.svc.items():
        for route in routes(svc.app):
            rule = rule_of(name, route)
            if rule is None or rule.roles is None:
                continue
            # a valid request where there is one (domain role checks come after validation)
            probe = rule.probe if rule.probe and "root" in rule.allowed_at else None
            for role in ROLES:
                call = await probe(world) if probe else None
                head = svc.token(role, unit=ROOT, subject=f"matran-{role}")
                r = await send(svc, route, head, call)
                if role in rule.roles and r.status_code in (401, 403):
                    failures.append(f"{name} {route} {role}: refused {r.status_code} {r.text}")
                elif role not in rule.roles and r.status_code != 403:
                    failures.append(f"{name} {route} {role}: {r.status_code}, not 403")
    assert not failures, "\n".join(failures)


async def test_unit_scope_of_every_probed_route(world: World) -> None:
    failures = []
    for (name, route), rule in RULES.items():
        if rule.probe is None or rule.roles is None:
            continue
        svc = world.svc[name]
        for role in sorted(rule.roles):
            # the refused first, so what they try cannot have changed before the others
            for position in ("sibling", "own", "parent", "root"):
                unit = POSITIONS[position]
                allowed = (
                    position == "root" if rule.scope == "root" else position in rule.allowed_at
                )
                call = await rule.probe(world)
                r = await send(svc, route, svc.token(role, unit=unit, subject=f"mt-{role}"), call)
                # a province-wide change refuses with 403; a unit's resource with 403, or 404
                # as a missing one (a root route's own 404 is its resource missing)
                refusals = (401, 403) if rule.scope == "root" else (401, 403, 404)
                refused = r.status_code in refusals
                if allowed and refused:
                    failures.append(
                        f"{name} {route} {role}@{position}: refused {r.status_code} {r.text[:200]}"
                    )
                elif not allowed and r.status_code not in refusals[1:]:
                    failures.append(
                        f"{name} {route} {role}@{position}: {r.status_code}, not refused"
                    )
    assert not failures, "\n".join(failures)


# -- the same on Kafka: who may report a status for which unit ------------------------------------

REPORTERS = WRITE_PROC  # as POST /v1/status-reports


async def test_status_reports_on_kafka_by_role_and_unit(world: World, kafka_bootstrap: str) -> None:
    """Each record carries its producer's credential; a report is handled only when a reporting
    role of the dossier's unit or above sent it, else it is dead-lettered and changes nothing."""
    proc = world.svc[PROC]
    secret = proc.settings.jwt_secret.get_secret_value()
    expected: dict[str, tuple[str, str | None]] = {}  # dossier → (case, dead-letter reason)
    records = []
    for role in ROLES:
        for position, unit in POSITIONS.items():
            ok = role in REPORTERS and position != "sibling"
            reason = None if ok else ("unauthorized" if role not in REPORTERS else "out-of-scope")
            records.append((f"{role}@{position}", proc.credential(role, unit=unit), reason))
    for label, token in bad_tokens(secret).items():
        if "Authorization" in token:
            value = token["Authorization"].encode()
            records.append((label, ("authorization", value), "unauthenticated"))
        else:
            records.append((label, None, "unauthenticated"))

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        events = {}
        for case, header, reason in records:
            code = uid("KM-")
            data = c.StatusReported(
                dossier_code=code,
                procedure_code="M5",
                unit_code=OWN,
                status="received",
                occurred_at=datetime(2026, 3, 2, 9, tzinfo=VN_TZ),
            )
            event = new_event(data, source="/vn/38/mot-cua", subject=code)
            value, headers = encode(event)
            if header is not None:
                headers.append(header)
            await producer.send(
                STATUS_REPORTS.name, value=value, key=code.encode(), headers=headers
            )
            expected[code] = (case, reason)
            events[code] = event.id
        # and a report naming another unit than its dossier's, with a credential covering both
        data = c.StatusReported(
            dossier_code=world.dossier,
            procedure_code="M5",
            unit_code=SIBLING,
            status="withdrawn",
            occurred_at=datetime(2026, 3, 2, 10, tzinfo=VN_TZ),
        )
        mismatch = new_event(data, source="/vn/38/mot-cua", subject=world.dossier)
        value, headers = encode(mismatch)
        headers.append(proc.credential(unit=ROOT))
        await producer.send(
            STATUS_REPORTS.name, value=value, key=world.dossier.encode(), headers=headers
        )
        await producer.flush()
    finally:
        await producer.stop()

    async def outcomes() -> dict[str, tuple[bool, str | None]] | None:
        async with proc.runtime.pool.acquire() as conn:
            handled = {
                r["dossier_code"]
                for r in await conn.fetch(
                    "SELECT dossier_code FROM dossiers WHERE dossier_code = ANY($1::text[])",
                    list(expected),
                )
            }
            dead = {
                r["event_id"]: r["reason"]
                for r in await conn.fetch(
                    "SELECT event_id, reason FROM dead_letters WHERE event_id = ANY($1::text[])",
                    [*events.values(), mismatch.id],
                )
            }
        if len(handled) + len(dead) < len(expected) + 1:
            return None
        return {
            **{code: (code in handled, dead.get(events[code])) for code in expected},
            "mismatch": (False, dead.get(mismatch.id)),
        }

    got = await wait_for(outcomes, 30, message="every record handled or dead-lettered")
    failures = [
        f"{case}: handled={got[code][0]} dead-letter={got[code][1]}, expected {reason}"
        for code, (case, reason) in expected.items()
        if got[code] != (reason is None, reason)
    ]
    assert not failures, "\n".join(failures)
    assert got["mismatch"] == (False, "unit-mismatch")
    detail = await proc.client.get(f"/v1/dossiers/{world.dossier}", headers=proc.token("admin"))
    assert detail.json()["status"] != "withdrawn"
