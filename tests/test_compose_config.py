"""docker-compose.yml is valid as `docker-compose config` reads it (Debian's docker-compose 1.29,
no Docker engine needed), runs every service the way ``make run`` does, and refuses to start
without its secrets.

CI installs the validator with ``apt-get install -y docker-compose``; elsewhere the compose tests
skip when it is missing (and fail in CI, where ``CI`` is set).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from egov_devkit.devstack.run import SERVICES
from egov_runtime.cli import services
from egov_runtime.tracing import wanted as tracing_wanted

# the services that exist (registered); the compose file must run exactly these
BUILT = {name: SERVICES[name] for name in sorted(services())}

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = shutil.which("docker-compose")
SECRETS = {"POSTGRES_PASSWORD": "p", "EGOV_JWT_SECRET": "j", "EGOV_PERSONAL_DATA_KEY": "k"}
SECRETS["SMTP_HOST"] = "smtp.tinh.example.vn"  # required: there is no mail relay by default
# one database password per service (its own role, deploy/postgres/init-databases.sql)
SECRETS |= {f"{prefix}DB_PASSWORD": f"db-{name}" for name, (prefix, _, _) in BUILT.items()}

needs_compose = pytest.mark.skipif(
    COMPOSE is None and not os.environ.get("CI"),
    reason="docker-compose is not installed (CI: apt-get install -y docker-compose)",
)


def config(env: dict[str, str], profiles: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None, "docker-compose must be installed in CI"
    chosen = [arg for profile in profiles for arg in ("--profile", profile)]
    return subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), *chosen, "config"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def port(entry: dict[str, Any] | str) -> tuple[str | None, int, int]:
    """(host address, published, target) of a resolved port: docker-compose 1.29 writes one bound
    to an address in the short form ``127.0.0.1:8101:8080/tcp``."""
    if isinstance(entry, dict):
        return entry.get("host_ip"), int(entry["published"]), int(entry["target"])
    address, published, target = entry.split("/")[0].split(":")
    return address, int(published), int(target)


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    done = config(SECRETS)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = yaml.safe_load(done.stdout)
    return parsed


@needs_compose
def test_every_service_runs_from_the_image_after_init(resolved: dict[str, Any]) -> None:
    assert set(services()) <= set(SERVICES), "a registered service is unknown to the stack"
    for name, (prefix, database, number) in BUILT.items():
        svc = resolved["services"][name]
        assert svc["command"] == [name, "serve"]
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert svc["restart"] == "unless-stopped"
        assert svc["depends_on"]["init"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(svc["healthcheck"]["test"])
        env = svc["environment"]
        assert env[f"{prefix}DATABASE_URL"] == (
            f"postgresql://{database}:db-{name}@postgres:5432/{database}"
        ), "each service connects as its own role, owner of its database only"
        assert env[f"{prefix}JWT_SECRET"] == "j"
        assert env[f"{prefix}PERSONAL_DATA_KEY"] == "k"
        assert env[f"{prefix}PROFILE"] == "production"
        assert env[f"{prefix}KAFKA_IDEMPOTENCE"] == "true"
        assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
        assert [port(p) for p in svc["ports"]] == [("127.0.0.1", number, 8080)]


@needs_compose
def test_init_creates_topics_and_migrates_every_service(resolved: dict[str, Any]) -> None:
    init = resolved["services"]["init"]
    script = " ".join(init["command"])
    assert "egov_runtime.cli topics" in script
    for name, (prefix, database, _) in BUILT.items():
        assert f"egov_runtime.cli {name} migrate" in script
        assert init["environment"][f"{prefix}DATABASE_URL"] == (
            f"postgresql://{database}:db-{name}@postgres:5432/{database}"
        ), "migrations run as the service's role, so it owns its tables"
    assert init["restart"] == "no"
    assert init["environment"]["EGOV_TOPIC_REPLICATION_FACTOR"] == "1"
    assert init["environment"]["EGOV_TOPIC_MIN_INSYNC_REPLICAS"] == "1"
    assert {k: v["condition"] for k, v in init["depends_on"].items()} == {
        "kafka": "service_healthy",
        "postgres": "service_healthy",
    }
    sql = (ROOT / "deploy" / "postgres" / "init-databases.sql").read_text()
    for _, database, _ in BUILT.values():
        assert f"CREATE DATABASE {database} OWNER {database};" in sql
    postgres = resolved["services"]["postgres"]
    for name, (prefix, _, _) in BUILT.items():
        assert postgres["environment"][f"{prefix}DB_PASSWORD"] == f"db-{name}"
        assert "\\getenv" in sql and f"{prefix}DB_PASSWORD" in sql


@needs_compose
def test_kafka_and_postgres_are_health_checked_and_keep_their_data(
    resolved: dict[str, Any],
) -> None:
    kafka, postgres = resolved["services"]["kafka"], resolved["services"]["postgres"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert postgres["image"] == "postgres:16"
    for svc in (kafka, postgres):
        assert svc["healthcheck"]["test"]
        assert svc["restart"] == "unless-stopped"
        sources = [v["source"] if isinstance(v, dict) else v.split(":")[0] for v in svc["volumes"]]
        assert set(sources) & set(resolved["volumes"]), "no named volume keeps the data"


@needs_compose
def test_prometheus_is_optional_and_scrapes_every_service(resolved: dict[str, Any]) -> None:
    assert resolved["services"]["prometheus"]["profiles"] == ["monitoring"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {
        t for job in scrape["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    }
    assert targets == {f"{name}:8080" for name in BUILT}


@needs_compose
def test_compose_refuses_to_run_without_secrets() -> None:
    done = config({})
    assert done.returncode != 0 and "POSTGRES_PASSWORD" in done.stderr
    for missing in ("EGOV_JWT_SECRET", "EGOV_NOTIFIER_DB_PASSWORD"):
        done = config({k: v for k, v in SECRETS.items() if k != missing})
        assert done.returncode != 0 and missing in done.stderr


def test_production_env_files_turn_the_idempotent_producer_on() -> None:
    for name, (prefix, _, _) in BUILT.items():
        text = (ROOT / "deploy" / "env" / f"{name}.env").read_text()
        assert f"{prefix}KAFKA_IDEMPOTENCE=true" in text
        assert f"{prefix}PROFILE=production" in text
        assert "SECRET=" not in text and "PASSWORD=" not in text, "secrets belong in .env"


@needs_compose
def test_backup_is_optional_and_dumps_every_service_database_nightly(
    resolved: dict[str, Any],
) -> None:
    backup = resolved["services"]["backup"]
    assert backup["profiles"] == ["backup"]
    assert backup["entrypoint"] == ["/bin/sh", "/backup/backup.sh"]
    assert backup["command"] == ["--nightly"]
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = backup["environment"]
    assert env["PGHOST"] == "postgres" and env["PGPASSWORD"] == "p"
    assert env["BACKUP_RETENTION_DAYS"] == "14" and env["BACKUP_AT"] == "01:30"
    sources = {v["source"] if isinstance(v, dict) else v.split(":")[0] for v in backup["volumes"]}
    assert "postgres-backups" in sources and "postgres-backups" in resolved["volumes"]
    script = (ROOT / "deploy" / "backup" / "backup.sh").read_text()
    defaults = script.split("BACKUP_DATABASES=${BACKUP_DATABASES:-", 1)[1].split("}", 1)[0]
    assert set(defaults.split()) == {database for _, database, _ in BUILT.values()}


@needs_compose
def test_the_tls_edge_fronts_every_service_and_plain_http_stays_on_the_host(
    resolved: dict[str, Any],
) -> None:
    edge = resolved["services"]["edge"]
    assert edge["profiles"] == ["edge"] and edge["image"].startswith("caddy:")
    assert set(edge["depends_on"]) == set(BUILT)
    assert {port(p) for p in edge["ports"]} == {(None, 443, 443), (None, 80, 80)}
    mounts = {
        (v["target"] if isinstance(v, dict) else v.split(":")[1]): (
            v["source"] if isinstance(v, dict) else v.split(":")[0]
        )
        for v in edge["volumes"]
    }
    assert mounts["/etc/caddy/Caddyfile"].endswith("deploy/edge/Caddyfile")
    assert mounts["/etc/caddy/certs"].endswith("deploy/edge/certs")
    caddyfile = (ROOT / "deploy" / "edge" / "Caddyfile").read_text()
    for name in BUILT:
        assert f"reverse_proxy {name}:8080" in caddyfile
        ports = resolved["services"][name]["ports"]
        assert [port(p)[0] for p in ports] == ["127.0.0.1"], "plain HTTP beyond the host"


@needs_compose
def test_mail_and_sms_settings_are_passed_from_env() -> None:
    mail = {
        "SMTP_PORT": "465",
        "SMTP_TLS": "tls",
        "SMTP_USER": "thongbao",
        "SMTP_PASSWORD": "mat-khau",
        "SMS_GATEWAY_URL": "https://sms.tinh.example.vn/send",
        "SMS_GATEWAY_KEY": "khoa",
        "NOTIFIER_PRIVATE_NETWORKS": '["10.38.0.0/16"]',
    }
    done = config({**SECRETS, **mail})
    assert done.returncode == 0, done.stderr
    env = yaml.safe_load(done.stdout)["services"]["notifier"]["environment"]
    assert env["EGOV_NOTIFIER_SMTP_HOST"] == "smtp.tinh.example.vn"
    for name, value in mail.items():
        key = "EGOV_" + name if name.startswith("NOTIFIER_") else "EGOV_NOTIFIER_" + name
        assert env[key] == value, key
    # left out of .env: empty (the notifier reads empty as unset), STARTTLS on 587, no networks
    defaults = config(SECRETS)
    env = yaml.safe_load(defaults.stdout)["services"]["notifier"]["environment"]
    assert (env["EGOV_NOTIFIER_SMTP_PORT"], env["EGOV_NOTIFIER_SMTP_TLS"]) == ("587", "starttls")
    assert env["EGOV_NOTIFIER_SMTP_USER"] == "" and env["EGOV_NOTIFIER_SMS_GATEWAY_URL"] == ""
    assert env["EGOV_NOTIFIER_PRIVATE_NETWORKS"] == "[]"
    missing = config({k: v for k, v in SECRETS.items() if k != "SMTP_HOST"})
    assert missing.returncode != 0 and "SMTP_HOST" in missing.stderr


@needs_compose
def test_grafana_is_provisioned_with_the_datasource_and_every_dashboard(
    resolved: dict[str, Any],
) -> None:
    grafana = resolved["services"]["grafana"]
    assert grafana["profiles"] == ["monitoring"]
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert grafana["environment"]["GF_DATE_FORMATS_DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert [port(p)[0] for p in grafana["ports"]] == ["127.0.0.1"]
    mounts = {
        (v["target"] if isinstance(v, dict) else v.split(":")[1]): (
            v["source"] if isinstance(v, dict) else v.split(":")[0]
        )
        for v in grafana["volumes"]
    }
    grafana_dir = ROOT / "deploy" / "grafana"
    providers = yaml.safe_load(
        (grafana_dir / "provisioning" / "dashboards" / "egov-events.yml").read_text()
    )["providers"]
    folder = providers[0]["options"]["path"]
    for board in sorted(grafana_dir.glob("*.json")):
        assert mounts[f"{folder}/{board.name}"].endswith(f"deploy/grafana/{board.name}")
        used = {
            p["datasource"]["uid"]
            for p in json.loads(board.read_text())["panels"]
            if "datasource" in p
        }
        assert used == {"prometheus"}, board.name
    assert mounts["/etc/grafana/provisioning"].endswith("deploy/grafana/provisioning")
    sources = yaml.safe_load(
        (grafana_dir / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert [(d["uid"], d["url"]) for d in sources] == [("prometheus", "http://prometheus:9090")]


@needs_compose
def test_alertmanager_mails_the_alerts_through_the_relay_of_env(resolved: dict[str, Any]) -> None:
    am = resolved["services"]["alertmanager"]
    assert am["profiles"] == ["monitoring"]
    script = " ".join(am["command"])
    assert "render.sh /etc/alertmanager/egov/alertmanager.yml /tmp/alertmanager.yml" in script
    assert "--config.file=/tmp/alertmanager.yml" in script
    assert am["environment"]["SMTP_HOST"] == "smtp.tinh.example.vn"
    assert [port(p)[0] for p in am["ports"]] == ["127.0.0.1"]
    done = config({**SECRETS, "ALERT_MAIL_TO": "vanhanh@tinh.example.vn"})
    env = yaml.safe_load(done.stdout)["services"]["alertmanager"]["environment"]
    assert env["ALERT_MAIL_TO"] == "vanhanh@tinh.example.vn"


# The secure variant (docker-compose.secure.yml over docker-compose.yml): the SASL_SSL broker's
# keystore password and one SCRAM password per principal, as deploy/kafka/trial-secrets.sh
# prints them.
KAFKA_PASSWORDS = {
    f"KAFKA_PASSWORD_{principal.upper().replace('-', '_')}": f"scram-{principal}"
    for principal in ("admin", "topics", "reference-import", *BUILT)
}
SECURE = {**SECRETS, **KAFKA_PASSWORDS, "KAFKA_KEYSTORE_PASSWORD": "ks"}


def config_secure(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None, "docker-compose must be installed in CI"
    files = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(ROOT / "docker-compose.secure.yml")]
    return subprocess.run(
        [COMPOSE, *files, "config"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@needs_compose
def test_the_secure_variant_connects_every_service_with_its_own_principal() -> None:
    done = config_secure(SECURE)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    kafka = resolved["services"]["kafka"]
    assert kafka["entrypoint"] == ["/bin/sh", "/etc/kafka/egov/start-secure.sh"]
    assert "/tmp/egov-kafka/ready" in " ".join(kafka["healthcheck"]["test"])
    assert kafka["environment"]["KAFKA_KEYSTORE_PASSWORD"] == "ks"
    for name, value in KAFKA_PASSWORDS.items():
        assert kafka["environment"][name] == value, "the broker creates every service's user"
    acl_principals = {
        line.split()[1].removeprefix("User:")
        for line in (ROOT / "deploy" / "kafka" / "acls.txt").read_text().splitlines()
        if line.startswith("--allow-principal")
    }
    assert set(BUILT) | {"topics", "reference-import"} <= acl_principals
    for name, (prefix, _, _) in BUILT.items():
        svc = resolved["services"][name]
        env = svc["environment"]
        assert env[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env[f"{prefix}KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env[f"{prefix}KAFKA_SASL_USERNAME"] == name
        assert env[f"{prefix}KAFKA_SASL_PASSWORD"] == f"scram-{name}"
        assert env[f"{prefix}KAFKA_SSL_CAFILE"] == "/etc/egov/kafka/ca.crt"
        assert env[f"{prefix}KAFKA_IDEMPOTENCE"] == "true", "idempotent producers in production"
        assert env[f"{prefix}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert any(str(v).endswith("/ca.crt:/etc/egov/kafka/ca.crt:ro") for v in svc["volumes"])
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
    init = resolved["services"]["init"]
    assert init["environment"]["EGOV_KAFKA_SASL_USERNAME"] == "topics"
    script = " ".join(init["command"])
    for name in BUILT:
        assert f"egov_runtime.cli {name} migrate" in script
    assert "EGOV_KAFKA_SASL_USERNAME=reference-import" in script
    # the plain file alone is unchanged: no SASL there
    plain = yaml.safe_load(config(SECRETS).stdout)["services"]["notifier"]["environment"]
    assert "EGOV_NOTIFIER_KAFKA_SECURITY_PROTOCOL" not in plain


@needs_compose
def test_the_secure_variant_refuses_to_run_without_its_passwords() -> None:
    for missing in ("KAFKA_KEYSTORE_PASSWORD", "KAFKA_PASSWORD_NOTIFIER", "KAFKA_PASSWORD_TOPICS"):
        done = config_secure({k: v for k, v in SECURE.items() if k != missing})
        assert done.returncode != 0 and missing in done.stderr, missing


@needs_compose
def test_every_profile_is_valid_alone_and_with_the_others(resolved: dict[str, Any]) -> None:
    profiles = sorted({p for svc in resolved["services"].values() for p in svc.get("profiles", [])})
    assert {"tracing", "monitoring", "edge", "backup"} <= set(profiles)
    for chosen in [[], *([p] for p in profiles), profiles]:
        done = config(SECRETS, chosen)
        assert done.returncode == 0, (chosen, done.stderr)
        services_of = yaml.safe_load(done.stdout)["services"]
        assert set(BUILT) <= set(services_of), chosen


@needs_compose
def test_tracing_is_off_by_default_and_the_profile_receives_the_spans(
    resolved: dict[str, Any],
) -> None:
    jaeger = resolved["services"]["jaeger"]
    assert jaeger["profiles"] == ["tracing"] and jaeger["image"].startswith("jaegertracing/")
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    # the UI on this host only; OTLP (4318) inside the compose network only
    assert [port(p) for p in jaeger["ports"]] == [("127.0.0.1", 16686, 16686)]
    on = config({**SECRETS, "OTEL_TRACES_EXPORTER": "otlp"})
    assert on.returncode == 0, on.stderr
    traced = yaml.safe_load(on.stdout)["services"]
    for name in BUILT:
        off = resolved["services"][name]
        assert not tracing_wanted(off["environment"]), f"{name} traces by default"
        assert off["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        assert "jaeger" not in off["depends_on"], "a service must not wait for its tracing"
        assert tracing_wanted(traced[name]["environment"]), f"{name} ignores OTEL_TRACES_EXPORTER"
