"""Who acts as the deciding head: the `head` role by default; `decider_roles` can name others."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from egov_nominations.main import wire
from egov_nominations.settings import NominationsSettings
from egov_nominations.usecases.common import Context


def _context(settings: NominationsSettings) -> Context:
    rt: Any = SimpleNamespace(settings=settings, source="/vn/38/nominations")
    ctx: Context = wire(rt).state["context"]
    return ctx


def test_the_head_decides_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EGOV_NOMINATIONS_DECIDER_ROLES", raising=False)
    assert NominationsSettings().decider_roles == ["head"]
    assert _context(NominationsSettings()).decider_roles == ("head",)
    assert Context(source="x").decider_roles == ("head",)


def test_decider_roles_can_name_the_administrator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_NOMINATIONS_DECIDER_ROLES", '["head", "admin"]')
    assert _context(NominationsSettings()).decider_roles == ("head", "admin")
