"""``.run/stack.json``: what ``make run`` started, for the command line and for people.

The local stack writes it once every service is ready and removes it when it stops; it holds
the URLs, the broker, the databases, the stack's signing secret and development tokens per
unit and role. The command line reads it so that ``python -m egov_runtime.cli ...`` works
against ``make run`` with no flags; an environment variable that is set always wins.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STACK_FILE_ENV = "EGOV_STACK_FILE"
DEFAULT_PATH = Path(".run") / "stack.json"


class StackFileError(ValueError):
    """The stack file exists but cannot be used (the message says why)."""


def stack_file_path() -> Path:
    """``EGOV_STACK_FILE`` when set, else ``.run/stack.json`` of the current directory."""
    return Path(os.environ.get(STACK_FILE_ENV) or DEFAULT_PATH)


def load_stack(path: Path | None = None) -> dict[str, Any] | None:
    """The stack file's content, or None when there is none."""
    path = path or stack_file_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StackFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackFileError(f"{path} is not JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise StackFileError(f"{path} is not a JSON object")
    return data


def write_stack(path: Path, stack: dict[str, Any]) -> None:
    """Write the stack file readable by its owner only (it holds the signing secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(stack, f, indent=2, ensure_ascii=False)
    tmp.replace(path)
