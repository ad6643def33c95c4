"""The operator command line against a local stack described by ``.run/stack.json``: tokens
signed with the stack's secret, the stack's broker and databases, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from egov_devkit.devstack.broker import free_port
from egov_runtime.auth import decode_token

SECRET = "stack-secret-of-this-run-at-least-32-bytes"


def _write_stack(cwd: Path, **content: Any) -> Path:
    path = cwd / ".run" / "stack.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return path


def _cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EGOV_") and k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "egov_runtime.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("egov: error: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_token_is_signed_with_the_running_stacks_secret(tmp_path: Path) -> None:
    _write_stack(tmp_path, jwt_secret=SECRET, kafka_bootstrap="127.0.0.1:1")

    result = _cli(tmp_path, "token", "--role", "officer", "--unit", "38.XA.HACTHANH")

    assert result.returncode == 0, result.stderr
    principal = decode_token(SECRET, result.stdout.strip())
    assert principal.unit_code == "38.XA.HACTHANH"
    assert principal.roles == frozenset({"officer"})
    province = _cli(tmp_path, "token", "--role", "head")  # the province by default
    assert decode_token(SECRET, province.stdout.strip()).unit_code == "38"


def test_an_explicit_secret_wins_over_the_stack_file(tmp_path: Path) -> None:
    _write_stack(tmp_path, jwt_secret=SECRET)
    other = "another-secret-given-by-the-environment-0123"

    by_env = _cli(tmp_path, "token", "--role", "operator", EGOV_JWT_SECRET=other)
    by_flag = _cli(tmp_path, "token", "--role", "operator", "--secret", other)

    assert decode_token(other, by_env.stdout.strip()).roles == frozenset({"operator"})
    assert decode_token(other, by_flag.stdout.strip()).roles == frozenset({"operator"})


def test_no_token_without_a_secret(tmp_path: Path) -> None:
    line = _one_line_error(_cli(tmp_path, "token", "--role", "operator"))

    assert "no signing secret" in line and "make run" in line and "--secret" in line


def test_an_unreadable_stack_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "stack.json").write_text("{not json")

    line = _one_line_error(_cli(tmp_path, "token", "--role", "operator"))

    assert "stack.json is not JSON" in line


@pytest.mark.integration
def test_a_broker_that_does_not_answer_is_one_line_naming_it(tmp_path: Path) -> None:
    port = free_port()
    _write_stack(tmp_path, jwt_secret=SECRET, kafka_bootstrap=f"127.0.0.1:{port}")

    line = _one_line_error(_cli(tmp_path, "topics"))

    assert f"127.0.0.1:{port}" in line and ".run/stack.json" in line
    assert "make run" in line


@pytest.mark.integration
def test_a_database_that_does_not_answer_is_one_line_naming_it(tmp_path: Path) -> None:
    port = free_port()
    dsn = f"postgresql://postgres@127.0.0.1:{port}/egov_procedures"
    _write_stack(
        tmp_path,
        jwt_secret=SECRET,
        kafka_bootstrap="127.0.0.1:1",
        services={"admin-procedures": {"database_url": dsn}},
    )

    line = _one_line_error(_cli(tmp_path, "admin-procedures", "dead-letters", "list"))

    assert f"PostgreSQL at 127.0.0.1:{port}/egov_procedures" in line
    assert "postgres@" not in line  # no user or password in messages


@pytest.mark.integration
def test_operator_commands_use_the_stacks_broker_and_databases(
    tmp_path: Path, kafka_bootstrap: str, database_dsn: str
) -> None:
    _write_stack(
        tmp_path,
        jwt_secret=SECRET,
        kafka_bootstrap=kafka_bootstrap,
        services={"admin-procedures": {"database_url": database_dsn}},
    )

    migrated = _cli(tmp_path, "admin-procedures", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    listed = _cli(tmp_path, "admin-procedures", "dead-letters", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.strip() == "0 dead letter(s)"
    topics = _cli(tmp_path, "topics")
    assert topics.returncode == 0, topics.stderr
    assert topics.stdout.startswith("topics: ")
    replay = _cli(tmp_path, "admin-procedures", "dead-letters", "replay")
    assert _one_line_error(replay).endswith("replay needs --id N (repeatable) or --all")


def test_topic_configs_carry_min_insync_replicas_when_given() -> None:
    from egov_contracts.topics import ALL_TOPICS
    from egov_runtime.kafka import topic_configs

    topic = next(iter(ALL_TOPICS))
    assert "min.insync.replicas" not in topic_configs(topic)
    assert topic_configs(topic, 2)["min.insync.replicas"] == "2"


def test_topics_refuses_more_insync_replicas_than_replicas(tmp_path: Path) -> None:
    _write_stack(tmp_path, jwt_secret=SECRET, kafka_bootstrap="127.0.0.1:1")
    line = _one_line_error(
        _cli(tmp_path, "topics", "--replication-factor", "1", "--min-insync-replicas", "2")
    )
    assert "min.insync.replicas <= replication factor" in line


@pytest.mark.integration
def test_topics_creates_with_the_replication_asked(tmp_path: Path, kafka_bootstrap: str) -> None:
    _write_stack(tmp_path, jwt_secret=SECRET, kafka_bootstrap=kafka_bootstrap)
    done = _cli(
        tmp_path,
        "topics",
        EGOV_TOPIC_REPLICATION_FACTOR="1",
        EGOV_TOPIC_MIN_INSYNC_REPLICAS="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("topics: ")
