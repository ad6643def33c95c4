"""Who acts as the deciding head: the `head` role by default; `decider_roles` can name others."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from egov_nominations.main import wire
from egov_nominations.settings import NominationsSettings
from egov_nominations.usecases.common import Context
from egov_runtime.service import utc_now


def _context(settings: NominationsSettings) -> Context:
    rt: Any = SimpleNamespace(settings=settings, source="/vn/38/nominations", now=utc_now)
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


def test_the_use_cases_read_the_runtimes_clock_in_vietnam_time() -> None:
    from datetime import UTC, datetime

    from egov_workdays import VN_TZ

    fixed = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
    rt: Any = SimpleNamespace(
        settings=NominationsSettings(), source="/vn/38/nominations", now=lambda: fixed
    )
    ctx: Context = wire(rt).state["context"]
    assert ctx.now() == fixed and ctx.now().tzinfo is VN_TZ
    assert ctx.now().isoformat() == "2026-01-05T08:30:00+07:00"
