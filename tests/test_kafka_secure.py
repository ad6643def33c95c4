"""deploy/kafka: the secure broker of docker-compose.secure.yml. The trial certificates are ones
the services' own Kafka TLS settings (``egov_runtime.kafka.client_security``) accept for the
host name ``kafka`` and refuse for another, every principal of the ACLs gets a password, and the
broker's configuration exposes only SASL_SSL beyond the container.

No Apache Kafka runs here (no Docker engine, no Java): the broker itself is not started."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from egov_runtime.kafka import client_security
from egov_runtime.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
KAFKA = ROOT / "deploy" / "kafka"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is missing")


def principals() -> set[str]:
    lines = (KAFKA / "acls.txt").read_text(encoding="utf-8").splitlines()
    return {line.split()[1].removeprefix("User:") for line in lines if line.startswith("--allow")}


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("kafka-certs")
    done = subprocess.run(
        ["sh", str(KAFKA / "trial-secrets.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    env = dict(line.split("=", 1) for line in done.stdout.splitlines() if line and line[0] != "#")
    return out, env


def handshake(certs: Path, client: ssl.SSLContext, server_hostname: str) -> str:
    """TLS handshake of the client context with a server holding the broker's certificate;
    returns the negotiated version."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certs / "kafka.crt", certs / "kafka.key")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with (
            socket.create_connection(listener.getsockname(), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname=server_hostname) as tls,
        ):
            version = str(tls.version())
        thread.join(timeout=10)
        return version


def test_the_services_trust_the_trial_broker_certificate_for_kafka_only(
    trial: tuple[Path, dict[str, str]],
) -> None:
    certs, env = trial
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="notifier",
        kafka_sasl_password=env["KAFKA_PASSWORD_NOTIFIER"],
        kafka_ssl_cafile=str(certs / "ca.crt"),
    )
    options = client_security(settings)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert handshake(certs, options["ssl_context"], "kafka").startswith("TLSv1.")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(certs, options["ssl_context"], "not-kafka")
    untrusting = client_security(settings.model_copy(update={"kafka_ssl_cafile": None}))
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(certs, untrusting["ssl_context"], "kafka")


def test_the_keystore_opens_with_its_password_and_every_principal_has_one(
    trial: tuple[Path, dict[str, str]],
) -> None:
    certs, env = trial
    opened = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(certs / "kafka.p12"),
            "-nokeys",
            "-passin",
            f"pass:{env['KAFKA_KEYSTORE_PASSWORD']}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert opened.returncode == 0 and "BEGIN CERTIFICATE" in opened.stdout, opened.stderr
    wrong = subprocess.run(
        ["openssl", "pkcs12", "-in", str(certs / "kafka.p12"), "-nokeys", "-passin", "pass:no"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert wrong.returncode != 0
    expected = {f"KAFKA_PASSWORD_{p.upper().replace('-', '_')}" for p in {"admin", *principals()}}
    assert expected <= set(env)
    assert all(env[name].isalnum() and len(env[name]) >= 32 for name in expected)
    assert len({env[name] for name in expected}) == len(expected), "one password each"
    assert env["COMPOSE_FILE"] == "docker-compose.yml:docker-compose.secure.yml"
    assert env["EGOV_KAFKA_TLS_DIR"] == str(certs)


def test_the_broker_listens_in_sasl_ssl_only_beyond_its_container() -> None:
    done = subprocess.run(
        ["sh", str(KAFKA / "start-secure.sh"), "--print-config"],
        env={"PATH": "/usr/bin:/bin", "KAFKA_KEYSTORE_PASSWORD": "ks", "KAFKA_PASSWORD_ADMIN": "a"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    config = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    listeners = config["listeners"].split(",")
    protocols = dict(p.split(":", 1) for p in config["listener.security.protocol.map"].split(","))
    for listener in listeners:
        name, address = listener.split("://")
        if protocols[name] != "SASL_SSL":
            assert address.startswith("127.0.0.1:"), f"{listener} is plain text beyond loopback"
    assert config["advertised.listeners"].startswith("SASL_SSL://kafka:9092")
    assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert config["ssl.keystore.password"] == "ks"
    assert config["authorizer.class.name"].endswith("StandardAuthorizer")
    missing = subprocess.run(
        ["sh", str(KAFKA / "start-secure.sh"), "--print-config"],
        env={"PATH": "/usr/bin:/bin", "KAFKA_PASSWORD_ADMIN": "a"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert missing.returncode != 0 and "KAFKA_KEYSTORE_PASSWORD" in missing.stderr
