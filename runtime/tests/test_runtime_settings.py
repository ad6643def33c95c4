"""Safe defaults: no profile means production, and production refuses development secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone
from egov_runtime.app import create_app
from egov_runtime.service import ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings, UnsafeSettings

SECRET = "a-production-secret-of-more-than-32-characters"
KEY = "a-personal-data-key-of-more-than-32-characters"


def bare_spec() -> ServiceSpec:
    return ServiceSpec(
        name="settings-check",
        settings_cls=ServiceSettings,
        migrations=None,
        routers=(),
        wire=lambda rt: Wiring(),
    )


def test_no_profile_means_production(monkeypatch):
    monkeypatch.delenv("EGOV_PROFILE", raising=False)
    assert ServiceSettings().profile == "production"
    monkeypatch.setenv("EGOV_PROFILE", "local")
    assert ServiceSettings().profile == "local"


def test_production_refuses_the_development_secrets_in_one_line():
    with pytest.raises(UnsafeSettings) as refused:
        create_app(bare_spec(), ServiceSettings(profile="production"))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("refusing to start in the production profile:")
    assert "EGOV_JWT_SECRET is the built-in development secret" in message
    assert "EGOV_PERSONAL_DATA_KEY is the built-in development key" in message
    with pytest.raises(UnsafeSettings, match="JWT_SECRET is shorter than 32"):
        ServiceSettings(
            profile="production", jwt_secret="short", personal_data_key=KEY
        ).ensure_safe()
    with pytest.raises(UnsafeSettings, match="PERSONAL_DATA_KEY is shorter than 32"):
        ServiceSettings(profile="production", jwt_secret=SECRET, personal_data_key="").ensure_safe()
    # the local profile keeps the development defaults
    create_app(bare_spec(), ServiceSettings(profile="local"))


def test_serve_refuses_the_development_secret_with_one_line_on_stderr():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EGOV_PROCEDURES_") and k != "EGOV_STACK_FILE"
    }
    env["EGOV_PROCEDURES_PROFILE"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", "egov_runtime.cli", "admin-procedures", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("egov: error: refusing to start in the production profile:")
    assert "EGOV_PROCEDURES_JWT_SECRET is the built-in development secret" in lines[0]


@pytest.mark.integration
async def test_production_starts_with_proper_secrets(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        bare_spec(),
        profile="production",
        jwt_secret=SECRET,
        personal_data_key=KEY,
    ) as svc:
        assert svc.settings.production

        async def ready() -> bool:
            return (await svc.client.get("/readyz")).status_code == 200

        await wait_for(ready, timeout=30, message="the production service is ready")
        assert (await svc.client.get("/healthz")).json() == {"status": "alive"}
