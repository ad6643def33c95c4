"""Every command of the READMEs runs as written against a fresh ``make run``.

The ``sh`` blocks of README.md and of each service's README are parsed (not copied here), the
local stack is started as ``make run`` starts it (``python -m egov_devkit.devstack``, on free
ports, its own broker, databases of its own on the test server), and each README's blocks run in
one ``bash`` session, in a directory that holds the stack's ``.run/stack.json`` and the
environment's ``.venv``, as a person would from a fresh clone. The README's default ports are
replaced by the stack's. A command must exit 0, and every HTTP call must answer 2xx: ``curl`` is
a wrapper on ``PATH`` that records the status of each call and fails the command otherwise. A
command whose comment line says ``answers NNN`` must answer NNN instead (a README showing a
refusal).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from egov_devkit.devstack.broker import free_port
from egov_devkit.devstack.postgres import drop_database
from egov_devkit.devstack.run import SERVICES

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("services/*/README.md"))]
SETUP_COMMANDS = ["make run", "make test"]  # the first screen of README.md; the test is them
_FENCE = re.compile(r"^```sh\s*\n(.*?)^```", re.S | re.M)
_EXPECT = re.compile(r"\banswers (\d{3})\b")


@dataclass(frozen=True)
class Command:
    readme: str
    line: int
    text: str
    expect: str  # a regular expression for the HTTP status of its curl calls


def wait_for(predicate: Callable[[], bool], *, timeout: float, message: str) -> None:
    """Return once ``predicate()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {message}")
        time.sleep(0.5)


def sh_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number of the block's first line, text) of every ```sh block."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def _complete(text: str) -> bool:
    """True when ``text`` is whole shell commands (bash parses it; no continuation pending)."""
    if text.rstrip().endswith(("\\", "|", "&&", "||")):
        return False
    checked = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
    return checked.returncode == 0


def commands(path: Path) -> list[Command]:
    """The commands of a README's sh blocks, each with the status its comment expects."""
    found: list[Command] = []
    for first, block in sh_blocks(path):
        current: list[str] = []
        start = 0
        comment = ""
        for n, line in enumerate(block.splitlines(), start=first):
            if not current:
                if not line.strip():
                    continue
                if line.lstrip().startswith("#"):
                    comment = line
                    continue
                start = n
            current.append(line)
            text = "\n".join(current)
            if _complete(text):
                expected = _EXPECT.search(comment)
                found.append(
                    Command(
                        path.relative_to(ROOT).as_posix(),
                        start,
                        text,
                        expected.group(1) if expected else "2[0-9][0-9]",
                    )
                )
                current, comment = [], ""
        assert not current, f"{path}:{start}: an unfinished command: {current}"
    return found


def test_the_first_screen_keeps_exactly_the_two_setup_commands() -> None:
    first = sh_blocks(ROOT / "README.md")[0][1]
    lines = [line.split("#", 1)[0].strip() for line in first.splitlines()]
    assert [line for line in lines if line] == SETUP_COMMANDS
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("---", 1)[0]
    assert head.count("```sh") == 1


def test_the_readmes_have_commands_to_run() -> None:
    per_readme = {p.relative_to(ROOT).as_posix(): commands(p) for p in READMES}
    assert len(per_readme["README.md"]) >= 10
    assert len(per_readme["services/nominations/README.md"]) >= 15
    assert len(per_readme["services/indicators/README.md"]) >= 6
    multi_line = [c for cs in per_readme.values() for c in cs if "\n" in c.text]
    assert multi_line, "continued and quoted multi-line commands are parsed as one"


CURL_WRAPPER = textwrap.dedent(
    """\
    #!/usr/bin/env bash
    # curl as written in the README, plus: the HTTP status of the call recorded, and a failure
    # unless it is the one expected (EGOV_EXPECT_STATUS, a regular expression; 2xx by default)
    err=$(mktemp)
    "$EGOV_REAL_CURL" "$@" --write-out '%{stderr}@@egov-status %{http_code}@@' 2>"$err"
    rc=$?
    status=$(grep -o '@@egov-status [0-9]*@@' "$err" | tail -n1 | tr -dc '0-9')
    sed 's/@@egov-status [0-9]*@@//' "$err" >&2
    rm -f "$err"
    args="$*"
    args="${args//$'\\n'/ }"
    printf '%s\\t%s\\t%s\\n' "${EGOV_CMD:-?}" "${status:-none}" "$args" >>"$EGOV_CURL_LOG"
    if [ "$rc" -ne 0 ]; then exit "$rc"; fi
    if ! [[ "$status" =~ ^(${EGOV_EXPECT_STATUS:-2[0-9][0-9]})$ ]]; then
      echo "curl: HTTP $status (expected ${EGOV_EXPECT_STATUS:-2xx}) for: $*" >&2
      exit 22
    fi
    """
)


def _script(cmds: list[Command], ports: dict[int, int]) -> str:
    lines = [
        "set -eE -o pipefail",
        "trap 'echo \"@@egov-failed $EGOV_CMD\" >&2' ERR",
    ]
    for i, c in enumerate(cmds):
        text = c.text
        for default, actual in ports.items():
            text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{actual}")
        lines += [f"EGOV_CMD={i}; export EGOV_CMD EGOV_EXPECT_STATUS='{c.expect}'", text]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres_admin_dsn: str) -> Iterator[Path]:
    """``make run`` in a directory of its own: (that directory; .run/stack.json in it)."""
    home = tmp_path_factory.mktemp("fresh-clone")
    (home / ".venv").symlink_to(ROOT / ".venv")
    tag = uuid.uuid4().hex[:8]
    ports = {name: free_port() for name in SERVICES}
    argv = [
        sys.executable,
        "-m",
        "egov_devkit.devstack",
        "--quiet",
        "--broker-port",
        str(free_port()),
        "--database-suffix",
        tag,
        "--ready-timeout",
        "180",
        *[f"--port={name}={port}" for name, port in ports.items()],
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EGOV_") and k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}
    }
    env.update(DATABASE_URL=postgres_admin_dsn, PYTHONUNBUFFERED="1")
    out = home / "make-run.out"
    with out.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack_json = home / ".run" / "stack.json"
    try:

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"make run exited:\n{out.read_text(errors='replace')}")
            return stack_json.exists()

        wait_for(up, timeout=420, message="make run is up (.run/stack.json)")
        yield home
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for _, database, _ in SERVICES.values():
            asyncio.run(drop_database(postgres_admin_dsn, f"{database}_{tag}"))


def _dossiers(home: Path, **params: object) -> list[dict[str, object]]:
    info = json.loads((home / ".run" / "stack.json").read_text())
    url = info["services"]["admin-procedures"]["url"]
    token = info["tokens"]["operator"]
    answer = httpx.get(
        f"{url}/v1/dossiers",
        params={"unit": "38", **params},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def _demo_loaded(home: Path) -> bool:
    return bool(_dossiers(home, limit=1))


def test_a_fresh_stack_has_overdue_and_due_soon_dossiers(stack: Path) -> None:
    wait_for(lambda: bool(_dossiers(stack, overdue="true")), timeout=180, message="overdue")
    wait_for(
        lambda: bool(_dossiers(stack, due_within_working_days=1)),
        timeout=60,
        message="dossiers due within a working day",
    )


@pytest.mark.parametrize("readme", [p.relative_to(ROOT).as_posix() for p in READMES])
def test_every_readme_command_runs_as_written(stack: Path, readme: str, tmp_path: Path) -> None:
    cmds = [
        c for c in commands(ROOT / readme) if c.text.split("#", 1)[0].strip() not in SETUP_COMMANDS
    ]
    if not cmds:
        pytest.skip(f"{readme} has no command to run")
    wait_for(lambda: _demo_loaded(stack), timeout=180, message="the demo dossiers are in")
    info = json.loads((stack / ".run" / "stack.json").read_text())
    ports = {
        default: int(info["services"][name]["url"].rsplit(":", 1)[1])
        for name, (_, _, default) in SERVICES.items()
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "curl"
    wrapper.write_text(CURL_WRAPPER)
    wrapper.chmod(0o755)
    curl_log = tmp_path / "curl.log"
    curl_log.touch()
    real_curl = shutil.which("curl")
    assert real_curl, "curl is needed to run the READMEs"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EGOV_") and k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        EGOV_REAL_CURL=real_curl,
        EGOV_CURL_LOG=str(curl_log),
    )

    result = subprocess.run(
        ["bash", "-c", _script(cmds, ports)],
        cwd=stack,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    failed = re.findall(r"@@egov-failed (\d+)", result.stderr)
    if result.returncode != 0:
        where = cmds[int(failed[0])] if failed else None
        detail = f"{where.readme}:{where.line}:\n{where.text}" if where else "(before any command)"
        pytest.fail(
            f"exit {result.returncode} at {detail}\n--- stderr:\n{result.stderr[-3000:]}"
            f"\n--- stdout:\n{result.stdout[-2000:]}"
        )
    calls = [line.split("\t", 2) for line in curl_log.read_text().splitlines()]
    expected_calls = sum(c.text.count("curl ") for c in cmds)
    assert len(calls) >= expected_calls, calls  # every curl went through the wrapper
    for cmd_index, status, args in calls:
        expect = cmds[int(cmd_index)].expect
        assert re.fullmatch(expect, status), f"HTTP {status} for curl {args}"


def test_make_run_forwards_the_documented_flags() -> None:
    flags = "--keep-data --no-demo --port notifier=9104 --broker-port 29092"
    dry = subprocess.run(
        ["make", "-n", "run", f"ARGS={flags}"], cwd=ROOT, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    [line] = [x for x in dry.stdout.splitlines() if "egov_devkit.devstack" in x]
    assert line.endswith(f"-m egov_devkit.devstack {flags}")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f'make run ARGS="{flags}"' in readme
