"""Notification templates: Jinja2 in a sandbox, undefined names are errors.

A template is checked when it is saved (against a sample event of each type it may render), so
a mistake is a 4xx for the editor, with the line, never a crash at send time. HTML bodies are
autoescaped; subjects and plain-text bodies (e-mail text, SMS, in-app) are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any

from egov_contracts.nominations import AWARD_NAMES_VI, AwardKind
from egov_contracts.types import VN_TZ as VN
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

MAX_SOURCE = 20_000


def _moment(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return date.fromisoformat(value)
    return None


def vn_date(value: Any) -> str:
    """``2026-03-16T08:00:00+07:00`` → ``16/03/2026`` (the Vietnamese order)."""
    moment = _moment(value)
    if moment is None:
        return ""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        moment = moment.astimezone(VN)
    return moment.strftime("%d/%m/%Y")


def vn_datetime(value: Any) -> str:
    """``2026-03-16T08:00:00+07:00`` → ``08:00 ngày 16/03/2026`` (Vietnam time)."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return vn_date(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN)
    return moment.strftime("%H:%M ngày %d/%m/%Y")


WORKING_DAY_MINUTES = 480  # 07:30–11:30 and 13:00–17:00


def vn_duration(minutes: Any) -> str:
    """Working minutes as people say them: ``6 phút``, ``2 giờ 30 phút``,
    ``1 ngày làm việc 2 giờ`` (a working day is 8 hours)."""
    total = max(round(float(minutes or 0)), 0)
    days, rest = divmod(total, WORKING_DAY_MINUTES)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} ngày làm việc"] if days else []
    parts += [f"{hours} giờ"] if hours else []
    parts += [f"{mins} phút"] if mins and not days else []  # minutes matter within a day
    return " ".join(parts) or "dưới 1 phút"


def named(name: Any, code: Any) -> str:
    """A name with its code beside it, ``Phường Hạc Thành (38.XA.HACTHANH)``; the code alone
    when no name is known."""
    return f"{name} ({code})" if name and code and name != code else str(name or code or "")


def award_name(award: Any) -> str:
    """An award's name as people read it (the contract's slug is for systems)."""
    try:
        return AWARD_NAMES_VI[AwardKind(str(award))]
    except ValueError:
        return str(award)


def _env(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=autoescape, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["vn_date"] = vn_date
    env.filters["vn_datetime"] = vn_datetime
    env.filters["vn_duration"] = vn_duration
    env.globals["named"] = named
    env.globals["award_name"] = award_name
    return env


_TEXT = _env(autoescape=False)
_HTML = _env(autoescape=True)


@dataclass(frozen=True)
class Template:
    id: str
    subject: str
    body: str  # plain text: e-mail text part, SMS, in-app item
    html: str | None = None  # optional e-mail HTML part (autoescaped)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html: str | None = None


class TemplateInvalid(ValueError):
    """``errors``: ``{"field", "line", "message"}`` each, for a 4xx problem answer."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def _template_line(tb: TracebackType | None) -> int | None:
    # Jinja rewrites tracebacks so that template frames carry the template's own line numbers
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(field: str, line: int | None, message: str) -> dict[str, Any]:
    where = f"{field} line {line}" if line else field
    return {"field": field, "line": line, "message": f"{where}: {message}"}


def validate_template(
    source: str,
    sample_context: Mapping[str, Any],
    *,
    field: str = "body",
    html: bool = False,
) -> None:
    """Raise :class:`TemplateInvalid` for a syntax error, a name the sample context lacks
    (anywhere in the template, even in a branch the sample does not take), or an error while
    rendering the sample (e.g. a missing attribute), each with its line."""
    if len(source) > MAX_SOURCE:
        raise TemplateInvalid([_error(field, None, f"longer than {MAX_SOURCE} characters")])
    env = _HTML if html else _TEXT
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid([_error(field, exc.lineno, exc.message or str(exc))]) from exc
    errors = []
    missing = meta.find_undeclared_variables(ast) - set(sample_context) - set(env.globals)
    for name in sorted(missing):
        lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name]
        errors.append(_error(field, min(lines, default=None), f"'{name}' is undefined"))
    if not errors:
        try:
            env.from_string(source).render(sample_context)
        except Exception as exc:  # any failure on a sample is the editor's to fix
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            errors.append(_error(field, _template_line(exc.__traceback__), message))
    if errors:
        raise TemplateInvalid(errors)


def check_template(template: Template, samples: list[Mapping[str, Any]]) -> None:
    """Validate every part of a template against sample contexts; all errors at once."""
    errors: list[dict[str, Any]] = []
    parts = [("subject", template.subject, False), ("body", template.body, False)]
    if template.html is not None:
        parts.append(("html", template.html, True))
    for field, source, html in parts:
        for sample in samples or [{}]:
            try:
                validate_template(source, sample, field=field, html=html)
            except TemplateInvalid as exc:
                errors.extend(exc.errors)
                break
    if errors:
        raise TemplateInvalid(errors)


def validate(subject: str, body: str, samples: list[dict[str, Any]]) -> None:
    """Raise :class:`TemplateInvalid` listing syntax errors and names missing from the sample
    contexts, with lines."""
    check_template(Template("", subject, body), list(samples))


def _render(source: str, context: Mapping[str, Any], field: str, html: bool = False) -> str:
    try:
        return (_HTML if html else _TEXT).from_string(source).render(context)
    except Exception as exc:  # a template that slipped past the check fails one message only
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise TemplateInvalid([_error(field, _template_line(exc.__traceback__), message)]) from exc


def render(subject: str, body: str, context: Mapping[str, Any]) -> Rendered:
    return Rendered(_render(subject, context, "subject").strip(), _render(body, context, "body"))


def render_event(template: Template, event: Mapping[str, Any]) -> Rendered:
    """A template filled in with a CloudEvent (as JSON-ready dict)."""
    return render_context(template, context_for(event))


def render_context(template: Template, ctx: Mapping[str, Any]) -> Rendered:
    """A template filled in with a context of :func:`context_for`."""
    return Rendered(
        " ".join(_render(template.subject, ctx, "subject").split()),
        _render(template.body, ctx, "body"),
        _render(template.html, ctx, "html", html=True) if template.html is not None else None,
    )


def unit_codes(data: Any) -> set[str]:
    """Every admin-unit code an event's data names (``unit_code``, ``…_unit_code``)."""
    found: set[str] = set()
    if isinstance(data, Mapping):
        for k, v in data.items():
            if k.endswith("unit_code") and isinstance(v, str):
                found.add(v)
            else:
                found |= unit_codes(v)
    elif isinstance(data, list):
        for v in data:
            found |= unit_codes(v)
    return found


def context_for(
    event: Mapping[str, Any], unit_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What a template sees: the CloudEvent's attributes, ``data`` and a few helpers —
    ``unit(code)`` (the unit's name with its code), ``named(name, code)``,
    ``award_name(slug)`` and the filters ``vn_date``, ``vn_datetime``, ``vn_duration``."""
    data = event.get("data") or {}
    names = dict(unit_names or {})
    return {
        "event": event,
        "data": data,
        "type": event.get("type", ""),
        "subject": event.get("subject", ""),
        "unit": lambda code: named(names.get(str(code)), code),
    }


_SIGN = (
    "\n\nThư tự động từ hệ thống thông báo của Sở Nội vụ tỉnh Thanh Hóa, xin không trả lời thư này."
)
_PROCEDURE = "thủ tục {{ named(data.get('procedure_name'), data.procedure_code) }}"
DEFAULT_TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template(
            "dossier-deadline-approaching",
            "[Sắp đến hạn] Hồ sơ {{ data.dossier_code }}",
            "Kính gửi cán bộ xử lý,\n\nHồ sơ {{ data.dossier_code }} (" + _PROCEDURE + ","
            " đơn vị {{ unit(data.unit_code) }}) sắp đến hạn trả kết quả lúc"
            " {{ data.due_at | vn_datetime }}.\nThời gian làm việc còn lại:"
            " {{ data.minutes_left | vn_duration }}."
            "{% if data.get('apology_deadline') %}\nNếu không thể trả kết quả đúng hạn,"
            " đơn vị ban hành phiếu xin lỗi và hẹn lại ngày trả kết quả trước"
            " {{ data.apology_deadline | vn_datetime }}.{% endif %}" + _SIGN,
            "<p>Kính gửi cán bộ xử lý,</p><p>Hồ sơ <b>{{ data.dossier_code }}</b> ("
            + _PROCEDURE
            + ", đơn vị {{ unit(data.unit_code) }}) sắp đến hạn trả kết quả lúc"
            " {{ data.due_at | vn_datetime }}; thời gian làm việc còn lại:"
            " {{ data.minutes_left | vn_duration }}.</p>"
            "{% if data.get('apology_deadline') %}<p>Nếu không thể trả kết quả đúng hạn,"
            " đơn vị ban hành phiếu xin lỗi và hẹn lại ngày trả kết quả trước"
            " {{ data.apology_deadline | vn_datetime }}.</p>{% endif %}",
        ),
        # past the deadline an apology letter is no longer accepted (at the latest one working
        # day before it): the message asks for what can still be done
        Template(
            "dossier-overdue",
            "[Quá hạn] Hồ sơ {{ data.dossier_code }}",
            "Hồ sơ {{ data.dossier_code }} (" + _PROCEDURE + ", đơn vị"
            " {{ unit(data.unit_code) }}) đã quá hạn trả kết quả từ"
            " {{ data.due_at | vn_datetime }}.\nĐề nghị đơn vị khẩn trương giải quyết, trả kết quả"
            " cho người nộp hồ sơ và báo cáo lý do chậm." + _SIGN,
        ),
        Template(
            "dossier-apology",
            "[Phiếu xin lỗi] Hồ sơ {{ data.dossier_code }}",
            "Đơn vị {{ unit(data.unit_code) }} đã ban hành phiếu xin lỗi cho hồ sơ"
            " {{ data.dossier_code }} (" + _PROCEDURE + "), hẹn lại ngày trả kết quả"
            " {{ data.new_due_at | vn_datetime }}. Lý do: {{ data.reason }}" + _SIGN,
        ),
        # SMS text without diacritics: one GSM-7 segment holds 160 such characters, 70 in UCS-2
        Template(
            "dossier-resolved-sms",
            "Hồ sơ {{ data.dossier_code }} đã có kết quả",
            "Ho so {{ data.dossier_code }} da co ket qua"
            "{% if data.result == 'granted' %} (chap thuan){% else %} (tu choi){% endif %}."
            " Moi ong/ba den nhan ket qua hoac tra cuu tren Cong dich vu cong.",
        ),
        Template(
            "submission-rejected",
            "[Trả lại] Báo cáo chỉ tiêu kỳ {{ data.period }} của {{ unit(data.unit_code) }}",
            "Báo cáo {{ data.submission_id }} kỳ {{ data.period }} của"
            " {{ unit(data.unit_code) }} chưa được tiếp nhận vì:\n"
            "{% for v in data.violations %}"
            "- {% if v.indicator_code %}Chỉ tiêu"
            " {{ named(v.get('indicator_name'), v.indicator_code) }} = {{ v.value }}: {% endif %}"
            "{{ v.message }}\n"
            "{% endfor %}"
            "Đề nghị đơn vị kiểm tra và gửi lại." + _SIGN,
        ),
        Template(
            "report-due-soon",
            "[Sắp đến hạn] {{ data.data_set_name }} kỳ {{ data.period }} — {{ data.unit_name }}",
            "Kính gửi {{ data.unit_name }} ({{ data.unit_code }}),\n\nBáo cáo"
            " {{ data.data_set_name }} ({{ data.data_set }}) kỳ {{ data.period }} của đơn vị"
            " chưa được gửi; hạn gửi là ngày {{ data.due_date | vn_date }}.\nĐề nghị đơn vị"
            " hoàn thành và gửi báo cáo đúng hạn." + _SIGN,
        ),
        Template(
            "report-overdue",
            "[Quá hạn] {{ data.data_set_name }} kỳ {{ data.period }} — {{ data.unit_name }}",
            "Kính gửi {{ data.unit_name }} ({{ data.unit_code }}),\n\nBáo cáo"
            " {{ data.data_set_name }} ({{ data.data_set }}) kỳ {{ data.period }} của đơn vị"
            " đã quá hạn gửi (hạn ngày {{ data.due_date | vn_date }}) mà chưa nhận được.\n"
            "Đề nghị đơn vị gửi báo cáo ngay." + _SIGN,
        ),
        Template(
            "award-conferred",
            "[Khen thưởng] Quyết định {{ data.decision_number }}",
            "Chúc mừng! Theo Quyết định số {{ data.decision_number }} ngày"
            " {{ data.decision_date | vn_date }} của {{ unit(data.deciding_unit_code) }},"
            " đơn vị có cá nhân/tập thể được tặng {{ award_name(data.award) }}"
            " vì thành tích năm {{ data.achievement_year }}." + _SIGN,
        ),
        Template(
            "on-time-rate-computed",
            "Tỷ lệ giải quyết đúng hạn kỳ {{ data.period }}",
            "Đơn vị {{ unit(data.unit_code) }}, kỳ {{ data.period }}: tỷ lệ hồ sơ giải quyết"
            " đúng và trước hạn"
            " {{ (data.on_time_rate ~ '%') if data.on_time_rate is not none else 'chưa có' }}."
            + _SIGN,
        ),
    )
}
