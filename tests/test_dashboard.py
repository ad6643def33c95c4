"""The Grafana dashboards and the Prometheus alerting rules only use metrics the services really
export, and promtool accepts the rules and the configuration that loads them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from egov_notifier import metrics as notifier_metrics
from egov_procedures import metrics as procedures_metrics
from egov_runtime import metrics
from prometheus_client import REGISTRY

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))
RULES = DEPLOY / "prometheus" / "alerts.yml"
PROMTOOL = shutil.which("promtool")
METRIC = re.compile(r"\b(egov_[a-z_]+)")


def exported() -> set[str]:
    assert metrics.EVENTS_CONSUMED is not None  # registers the kit's metrics
    assert notifier_metrics.NOTIFICATIONS is not None  # the notifier's
    assert procedures_metrics.OPEN_DOSSIERS is not None  # and admin-procedures' SLA gauges
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in suffixes.get(family.type, ("",))
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_charted_metric_is_exported(path: Path):
    dash = json.loads(path.read_text(encoding="utf-8"))
    charted = {
        name for p in dash["panels"] for t in p["targets"] for name in METRIC.findall(t["expr"])
    }
    assert charted and charted <= exported(), charted - exported()


def test_the_sla_dashboard_charts_what_the_ops_team_watches():
    dash = json.loads((DEPLOY / "grafana" / "egov-sla.json").read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
    for needed in (
        "egov_on_time_rate_percent",
        'state="overdue"',
        'state="due_soon"',
        "egov_deadline_warnings_total",
        "egov_consumer_lag",
        "egov_outbox_backlog",
        "egov_dead_letters_total",
        'channel="webhook"',
    ):
        assert needed in exprs, needed


def test_every_alert_uses_exported_metrics():
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert {
        "OverdueDossiersGrowing",
        "DeadLettersPresent",
        "OutboxRelayBacklog",
        "ConsumerLagHigh",
        "WebhookEndpointDisabled",
    } <= set(alerts)
    used = {name for expr in alerts.values() for name in METRIC.findall(expr)}
    assert used <= exported(), used - exported()


@pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool is not installed (CI: apt-get install -y prometheus; .ci/run does)",
)
def test_promtool_accepts_the_rules_and_the_configuration():
    assert PROMTOOL is not None, "promtool must be installed in CI"
    for args in (["check", "rules", RULES.name], ["check", "config", "prometheus.yml"]):
        done = subprocess.run(
            [PROMTOOL, *args],
            cwd=RULES.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
