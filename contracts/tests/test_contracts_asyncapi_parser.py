"""The AsyncAPI documents parse without errors in the official parser (@asyncapi/parser).

Runs when ``node`` is installed and ``npm ci`` was run in ``contracts/tools``; skipped
otherwise (CI runs ``npm ci`` first)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from egov_contracts.asyncapi import CONSUMES, PRODUCES, document

TOOLS = Path(__file__).resolve().parent.parent / "tools"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir(),
    reason="node or contracts/tools/node_modules missing (run `npm ci` in contracts/tools)",
)


def _check(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(TOOLS / "check-asyncapi.mjs"), *map(str, paths)],
        cwd=TOOLS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_whole_system_and_every_service_part_parse(tmp_path):
    paths = [Path(__file__).resolve().parent.parent / "published" / "asyncapi.json"]
    for service in sorted(set(PRODUCES) | set(CONSUMES)):
        path = tmp_path / f"{service}.json"
        path.write_text(json.dumps(document(service)), encoding="utf-8")
        paths.append(path)
    result = _check(*paths)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("valid AsyncAPI 3.0.0") == len(paths)


def test_the_parser_check_catches_a_broken_document(tmp_path):
    doc = document()
    doc["channels"]["egov-procedures-dossiers"]["messages"]["ghost"] = {
        "$ref": "#/components/messages/ghost"
    }
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = _check(path)
    assert result.returncode == 1
    assert "ghost" in result.stderr
