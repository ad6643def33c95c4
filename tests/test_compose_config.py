"""docker-compose.yml is valid (as `docker-compose config` reads it), runs the services that
exist, and refuses to start without its secrets. No Docker engine is needed for this."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from egov_runtime.cli import services

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = shutil.which("docker-compose")
SECRETS = {"POSTGRES_PASSWORD": "p", "EGOV_JWT_SECRET": "j", "EGOV_PERSONAL_DATA_KEY": "k"}

needs_compose = pytest.mark.skipif(
    COMPOSE is None and not os.environ.get("CI"),
    reason="docker-compose is not installed (CI installs Debian's docker-compose)",
)


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None, "docker-compose must be installed in CI"
    return subprocess.run([COMPOSE, "-f", str(ROOT / "docker-compose.yml"), "config"],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


@needs_compose
def test_compose_file_validates_and_every_service_is_in_it():
    done = config(SECRETS)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    for name in services():
        svc = resolved["services"][name]
        assert svc["command"] == [name, "serve"]
        assert svc["depends_on"]["init"]["condition"] == "service_completed_successfully"
        assert svc["restart"] == "unless-stopped"
    assert "healthcheck" in resolved["services"]["kafka"]
    assert "healthcheck" in resolved["services"]["postgres"]


@needs_compose
def test_compose_refuses_to_run_without_secrets():
    done = config({})
    assert done.returncode != 0 and "POSTGRES_PASSWORD" in done.stderr


def test_production_env_files_turn_the_idempotent_producer_on():
    for name in services():
        text = (ROOT / "deploy" / "env" / f"{name}.env").read_text()
        assert "_KAFKA_IDEMPOTENCE=true" in text and "_PROFILE=production" in text
