"""deploy/edge: the Caddyfile of the TLS edge is valid (``caddy validate``, certificates loaded
from files), and Caddy run with it on free ports serves each service's host name over TLS with
the provided certificate, proxies to the service and never serves /metrics.

CI installs Debian's ``caddy`` (.ci/run); elsewhere these tests skip when it is missing (and fail
in CI, where ``CI`` is set)."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGE = ROOT / "deploy" / "edge"
CADDY = shutil.which("caddy")
DOMAIN = "egov.test"
HOSTS = ("procedures", "indicators", "nominations", "notifier", "console")

pytestmark = pytest.mark.skipif(
    CADDY is None and not os.environ.get("CI"),
    reason="caddy is not installed (CI: apt-get install -y caddy)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    subprocess.run([str(EDGE / "self-signed.sh"), DOMAIN, str(out)], check=True, timeout=60)
    assert (out / "tls.key").stat().st_mode & 0o077 == 0, "the private key is readable by others"
    return out


def caddy_env(certs: Path, home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "EGOV_DOMAIN": DOMAIN,
        "EGOV_TLS_CERT": str(certs / "tls.crt"),
        "EGOV_TLS_KEY": str(certs / "tls.key"),
        **extra,
    }


def validate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert CADDY is not None
    args = [CADDY, "validate", "--config", str(EDGE / "Caddyfile"), "--adapter", "caddyfile"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def test_the_caddyfile_is_valid_and_needs_the_certificate_files(
    certs: Path, tmp_path: Path
) -> None:
    done = validate(caddy_env(certs, tmp_path))
    assert done.returncode == 0, done.stderr
    missing = validate(caddy_env(certs, tmp_path, EGOV_TLS_CERT=str(tmp_path / "absent.crt")))
    assert missing.returncode != 0 and "absent.crt" in missing.stderr
    text = (EDGE / "Caddyfile").read_text()
    for upstream in ("admin-procedures", "indicators", "nominations", "notifier", "console"):
        assert f"reverse_proxy {upstream}:8080" in text


@pytest.fixture
def edge(certs: Path, tmp_path: Path) -> Iterator[int]:
    assert CADDY is not None
    https = free_port()
    env = caddy_env(
        certs, tmp_path, EGOV_EDGE_HTTPS_PORT=str(https), EGOV_EDGE_HTTP_PORT=str(free_port())
    )
    proc = subprocess.Popen(
        [CADDY, "run", "--config", str(EDGE / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", https), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "caddy did not listen within 30 s"
                time.sleep(0.1)
        yield https
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def get(port: int, host: str, path: str, certs: Path) -> httpx.Response:
    name = f"{host}.{DOMAIN}"
    context = ssl.create_default_context(cafile=str(certs / "tls.crt"))
    with httpx.Client(verify=context) as client:
        return client.get(
            f"https://127.0.0.1:{port}{path}",
            headers={"Host": name},
            extensions={"sni_hostname": name},
        )


def test_every_host_is_served_over_tls_and_metrics_never_are(edge: int, certs: Path) -> None:
    for host in HOSTS:
        # the certificate verifies for the host name; the service itself is not running here,
        # so a proxied path answers 502 (Bad Gateway) — proof that it is passed on
        proxied = get(edge, host, "/docs", certs)
        assert proxied.status_code == 502, (host, proxied.status_code)
        assert proxied.headers["strict-transport-security"].startswith("max-age=")
        for path in ("/metrics", "/metrics/", "/metrics/x"):
            assert get(edge, host, path, certs).status_code == 404, (host, path)
