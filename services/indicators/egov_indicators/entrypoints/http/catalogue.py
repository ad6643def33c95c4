"""The indicator catalogue and its validation rules (province-wide)."""

from __future__ import annotations

from typing import Any

from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from egov_indicators.domain import IndicatorDefinition, rules_from_data
from egov_indicators.entrypoints.http.common import (
    Admin,
    Reader,
    check_province,
)
from egov_indicators.usecases import catalogue
from egov_indicators.usecases.common import Work, load_rulebook

router = APIRouter(prefix="/v1")


@router.get("/definitions", tags=["catalogue"])
async def get_definitions(request: Request, principal: Reader, page: PageQuery) -> Page:
    """The indicator catalogue: unit of measure, value type, period kind, aggregation (sum,
    ratio of numerator and denominator, none), direction, range and disaggregations."""
    async with runtime_of(request).transaction() as tx:
        book = await load_rulebook(Work.on(tx))
    return page.slice([d.model_dump(mode="json") for d in book.catalogue.definitions.values()])


@router.get("/definitions/{code}", tags=["catalogue"])
async def get_definition(code: str, request: Request, principal: Reader) -> dict[str, Any]:
    async with runtime_of(request).transaction() as tx:
        book = await load_rulebook(Work.on(tx))
    d = book.catalogue.get(code)
    if d is None:
        raise Problem(404, "Indicator not found", f"No indicator {code}.")
    return d.model_dump(mode="json")


@router.put("/definitions/{code}", tags=["catalogue"])
async def put_definition(
    code: str, body: dict[str, Any], request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change an indicator; the catalogue and every rule must stay consistent.
    Province-wide: needs a role scoped at the province."""
    await check_province(runtime_of(request), principal, "The indicator catalogue")
    try:
        definition = IndicatorDefinition.model_validate({**body, "code": code})
        async with runtime_of(request).transaction() as tx:
            book = await catalogue.put_definition(Work.on(tx), definition, principal.subject)
    except (ValidationError, ValueError) as exc:
        raise Problem(422, "Invalid definition", str(exc)) from exc
    return book.catalogue[code].model_dump(mode="json")


@router.get("/rules", tags=["catalogue"])
async def get_rules(request: Request, principal: Reader, page: PageQuery) -> Page:
    """Validation rules (DHIS2-style): required, range, compare (cross-indicator, with a
    tolerance), outlier and jump (warnings only)."""
    async with runtime_of(request).transaction() as tx:
        book = await load_rulebook(Work.on(tx))
    return page.slice([r.model_dump(mode="json") for r in book.rules])


@router.put("/rules/{rule_id}", tags=["catalogue"])
async def put_rule(
    rule_id: str, body: dict[str, Any], request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change a validation rule. Province-wide: needs a role scoped at the province."""
    await check_province(runtime_of(request), principal, "The validation rules")
    try:
        [rule] = rules_from_data({"rules": [{**body, "id": rule_id}]})
        async with runtime_of(request).transaction() as tx:
            checked = await catalogue.put_rule(Work.on(tx), rule, principal.subject)
        return checked.model_dump(mode="json")
    except (ValidationError, ValueError) as exc:
        raise Problem(422, "Invalid rule", str(exc)) from exc


@router.delete("/rules/{rule_id}", status_code=204, tags=["catalogue"])
async def delete_rule(rule_id: str, request: Request, principal: Admin) -> Response:
    await check_province(runtime_of(request), principal, "The validation rules")
    async with runtime_of(request).transaction() as tx:
        if not await catalogue.delete_rule(Work.on(tx), rule_id):
            raise Problem(404, "Rule not found", f"No rule {rule_id}.")
    return Response(status_code=204)
