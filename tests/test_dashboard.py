"""The Grafana dashboard only charts metrics the services really export."""

from __future__ import annotations

import json
import re
from pathlib import Path

from egov_notifier import metrics as notifier_metrics
from egov_runtime import metrics
from prometheus_client import REGISTRY

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "egov-delivery.json"


def test_every_charted_metric_is_exported():
    assert metrics.EVENTS_CONSUMED is not None  # registers the kit's metrics
    assert notifier_metrics.NOTIFICATIONS is not None  # and the notifier's
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    exported = {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in suffixes.get(family.type, ("",))
    }
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    charted = {
        name
        for p in dash["panels"]
        for t in p["targets"]
        for name in re.findall(r"\b(egov_[a-z_]+)", t["expr"])
    }
    assert charted and charted <= exported, charted - exported
