"""What a use case raises when it refuses: a domain error, not an HTTP answer.

Use cases speak in these four kinds (missing, conflicting with the state, invalid, not
allowed); the app factory maps each to RFC 9457 problem details once
(:func:`egov_runtime.problems.install`), so the same use case can run from a route, a consumer,
a CLI or a test without knowing about HTTP. Each carries the title, the detail and the
field-level ``errors`` the problem shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class Refusal(Exception):
    """A use case declining to act; ``status`` is the HTTP status the app factory answers."""

    status: ClassVar[int] = 400
    default_title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        title: str | None = None,
        detail: str | None = None,
        *,
        errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.title = title or self.default_title
        self.detail = detail
        self.errors = list(errors)
        super().__init__(detail or self.title)


class NotFound(Refusal):
    status = 404
    default_title = "Not found"


class Conflict(Refusal):
    """The request is sound but the current state forbids it."""

    status = 409
    default_title = "Conflict"


class Invalid(Refusal):
    status = 422
    default_title = "Invalid request"


class Forbidden(Refusal):
    status = 403
    default_title = "Forbidden"


def not_found(what: str, ref: str) -> NotFound:
    """``<What> not found`` / ``No <what> <ref>.``"""
    return NotFound(f"{what} not found", f"No {what.lower()} {ref}.")


def conflict(title: str, detail: str, **extra: Any) -> Conflict:
    """A conflict whose keyword arguments become field errors."""
    return Conflict(
        title, detail, errors=[{"field": k, "message": str(v)} for k, v in extra.items()]
    )


def invalid(detail: str, errors: Sequence[dict[str, Any]] = ()) -> Invalid:
    return Invalid("Invalid request", detail, errors=errors)
