"""The indicator catalogue and its validation rules, changed as a whole that must still hold."""

from __future__ import annotations

from typing import Any

from egov_runtime.consumer import Tx

from egov_indicators.adapters import store
from egov_indicators.domain import (
    catalogue_from_data,
    rules_from_data,
)
from egov_indicators.usecases.common import RuleBook, load_rulebook


async def put_definition(tx: Tx, definition: dict[str, Any], by: str) -> RuleBook:
    """Add or change a definition; the whole catalogue and every rule must still hold."""
    book = await load_rulebook(tx)
    defs = {**{d.code: d.model_dump(mode="json") for d in book.catalogue.definitions.values()}}
    defs[definition["code"]] = definition
    catalogue = catalogue_from_data({"indicators": list(defs.values())})
    rules_from_data({"rules": [r.model_dump(mode="json") for r in book.rules]}, catalogue)
    stored = catalogue[definition["code"]].model_dump(mode="json")
    await store.put_definition(tx.conn, definition["code"], stored, by)
    return await load_rulebook(tx)


async def put_rule(tx: Tx, rule: dict[str, Any], by: str) -> dict[str, Any]:
    book = await load_rulebook(tx)
    others = [r.model_dump(mode="json") for r in book.rules if r.id != rule.get("id")]
    checked = rules_from_data({"rules": [*others, rule]}, book.catalogue)[-1]
    stored = checked.model_dump(mode="json")
    await store.put_rule(tx.conn, checked.id, stored, by)
    return stored
