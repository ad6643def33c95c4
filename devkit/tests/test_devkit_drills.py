"""Crash drills with real processes: the sample worker is killed at the dangerous points."""

from __future__ import annotations

import pytest
from egov_devkit.drill import FAILPOINT, run_round
from egov_devkit.sample import sample_data

pytestmark = [pytest.mark.integration, pytest.mark.drill]


@pytest.mark.parametrize("mode", ["kill", *FAILPOINT, "pg-terminate", "broker-pause"])
async def test_drill_round_loses_and_duplicates_nothing(
    mode, kafka_bootstrap, postgres_admin_dsn, broker
):
    if mode == "broker-pause" and broker is None:
        pytest.skip("pausing needs the local broker")

    def pause(paused: bool) -> None:
        broker.pause() if paused else broker.resume()

    result = await run_round(
        mode=mode,
        bootstrap=kafka_bootstrap,
        admin_dsn=postgres_admin_dsn,
        make_data=sample_data,
        events=150,
        pause_broker=pause if broker is not None else None,
    )
    assert result.faults > 0, "the drill hurt nothing"
    assert (result.lost, result.duplicated) == (0, 0)
    assert (result.downstream_lost, result.downstream_duplicated) == (0, 0)
    assert result.unpublished == 0
