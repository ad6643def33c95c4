"""deploy/alertmanager: Prometheus sends its alerts to Alertmanager, which mails every one to the
operations team; the configuration rendered from the environment (render.sh, as the container
does at start) is accepted by ``amtool check-config``, and render.sh refuses to run without a
mail relay or a recipient.

CI installs Debian's ``prometheus-alertmanager`` for amtool (.ci/run); elsewhere the amtool test
skips when it is missing (and fails in CI, where ``CI`` is set)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RENDER = DEPLOY / "alertmanager" / "render.sh"
TEMPLATE = DEPLOY / "alertmanager" / "alertmanager.yml"
AMTOOL = shutil.which("amtool")
MAIL = {
    "SMTP_HOST": "smtp.tinh.example.vn",
    "SMTP_PORT": "465",
    "SMTP_TLS": "tls",
    "SMTP_USER": "canhbao",
    "SMTP_PASSWORD": "mat&khau|1",
    "ALERT_MAIL_TO": "vanhanh@tinh.example.vn",
}


def render(env: dict[str, str], out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RENDER), str(TEMPLATE), str(out)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_rendered_configuration_mails_every_alert(tmp_path: Path) -> None:
    out = tmp_path / "alertmanager.yml"
    done = render(MAIL, out)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(out.read_text())
    assert config["global"]["smtp_smarthost"] == "smtp.tinh.example.vn:465"
    assert config["global"]["smtp_auth_password"] == "mat&khau|1"
    assert config["global"]["smtp_require_tls"] is True
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers[config["route"]["receiver"]]["email_configs"][0]["to"] == MAIL["ALERT_MAIL_TO"]
    for route in config["route"].get("routes", []):
        assert route["receiver"] in receivers
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = scrape["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
    plain = render({**MAIL, "SMTP_TLS": "none"}, out)
    assert (
        plain.returncode == 0
        and yaml.safe_load(out.read_text())["global"]["smtp_require_tls"] is False
    )


@pytest.mark.parametrize("missing", ["SMTP_HOST", "ALERT_MAIL_TO"])
def test_render_refuses_without_a_relay_or_a_recipient(tmp_path: Path, missing: str) -> None:
    done = render({k: v for k, v in MAIL.items() if k != missing}, tmp_path / "a.yml")
    assert done.returncode != 0 and missing in done.stderr


@pytest.mark.skipif(
    AMTOOL is None and not os.environ.get("CI"),
    reason="amtool is not installed (CI: apt-get install -y prometheus-alertmanager)",
)
def test_amtool_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    assert AMTOOL is not None, "amtool must be installed in CI"
    out = tmp_path / "alertmanager.yml"
    assert render(MAIL, out).returncode == 0
    done = subprocess.run(
        [AMTOOL, "check-config", str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr
