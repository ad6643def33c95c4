"""What the indicators service tests share: the service alone on the session's broker and a
database of its own (one per test module), and a reader of ``egov.indicators.results``.

A module that needs the service set up otherwise (its own units, a clock it sets) declares its
own ``service`` fixture, which takes precedence over this one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from egov_contracts.topics import INDICATOR_RESULTS
from egov_devkit.testing.service import RunningService, TopicReader, running_alone
from egov_indicators.main import SPEC


@pytest.fixture(scope="module")
async def service(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[RunningService]:
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, SPEC) as svc:
        yield svc


@pytest.fixture(scope="module")
async def reader(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    r = TopicReader(kafka_bootstrap, [INDICATOR_RESULTS.name])
    await r.start()
    yield r
    await r.stop()
