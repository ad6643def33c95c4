"""The garbage collector of a service process (egov_runtime.collector): ``serve`` sets it from
the setting once the service is loaded; what exists then is frozen and the young collections
are spaced as asked; 0 leaves Python's collector alone. Process-wide state, so each check runs
in a process of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest
from egov_runtime import cli
from egov_runtime.service import ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings

_PROBE = """
import gc, sys
from egov_runtime.collector import tune_collector
before = gc.get_threshold()
tune_collector(int(sys.argv[1]))
after = gc.get_threshold()
print(before[0], after[0], before[1:] == after[1:], gc.get_freeze_count() > 0)
"""


def _probe(threshold: int) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(threshold)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.split()


def test_the_young_collections_are_spaced_and_what_exists_is_frozen():
    assert _probe(1234) == ["700", "1234", "True", "True"]


def test_zero_leaves_pythons_collector_alone():
    assert _probe(0) == ["700", "700", "True", "False"]


def test_serve_sets_the_collector_from_the_setting(monkeypatch: pytest.MonkeyPatch):
    import uvicorn
    from egov_runtime import collector

    calls: list[object] = []
    monkeypatch.setattr(collector, "tune_collector", lambda n: calls.append(("tune", n)))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append("run"))
    monkeypatch.setenv("EGOV_PROFILE", "local")
    monkeypatch.setenv("EGOV_GC_YOUNG_THRESHOLD", "4321")
    spec = ServiceSpec(
        name="collector-check",
        settings_cls=ServiceSettings,
        migrations=None,
        routers=(),
        wire=lambda rt: Wiring(),
    )
    cli._serve(spec)
    assert calls == [("tune", 4321), "run"]  # before the server starts
    assert ServiceSettings().gc_young_threshold == 4321
