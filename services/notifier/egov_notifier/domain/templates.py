"""Notification templates: Jinja2 in a sandbox, undefined names are errors.

A template is checked when it is saved (against a sample event of each type it may render), so
a mistake is a 4xx for the editor, never a crash at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class TemplateInvalid(ValueError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def render(subject: str, body: str, context: dict[str, Any]) -> Rendered:
    try:
        return Rendered(
            _ENV.from_string(subject).render(context).strip(),
            _ENV.from_string(body).render(context),
        )
    except TemplateError as exc:
        raise TemplateInvalid([_error("template", exc)]) from exc


def validate(subject: str, body: str, samples: list[dict[str, Any]]) -> None:
    """Raise :class:`TemplateInvalid` listing syntax errors (with line) and names missing from
    the sample contexts."""
    errors = []
    for field, source in (("subject", subject), ("body", body)):
        try:
            template = _ENV.from_string(source)
        except TemplateSyntaxError as exc:
            errors.append(_error(field, exc))
            continue
        for sample in samples:
            try:
                template.render(sample)
            except TemplateError as exc:
                errors.append(_error(field, exc))
                break
    if errors:
        raise TemplateInvalid(errors)


def _error(field: str, exc: TemplateError) -> dict[str, Any]:
    line = getattr(exc, "lineno", None)
    return {"field": field, "line": line, "message": f"{field}: {exc.message or exc}"}


def context_for(event: dict[str, Any]) -> dict[str, Any]:
    """What a template sees: the CloudEvent's attributes, ``data`` and a few helpers."""
    data = event.get("data", {})
    return {
        "event": event,
        "data": data,
        "type": event.get("type", ""),
        "subject": event.get("subject", ""),
    }
