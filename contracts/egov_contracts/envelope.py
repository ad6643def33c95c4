"""The CloudEvents 1.0 envelope of every record on the wire, and its Kafka codec.

Structured mode out (the record value is the JSON envelope, ``content-type:
application/cloudevents+json``, with ``ce_type`` and ``ce_id`` copied into headers for routing);
structured and binary mode in (binary: ``ce_*`` headers and the JSON data as the value), as the
CloudEvents Kafka protocol binding says, so a producer written with any CloudEvents SDK
interoperates.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import types
import typing
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from egov_contracts.types import VN_TZ as VN_TZ  # re-exported: the one Vietnam time zone
from egov_contracts.types import VnDatetime

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
# ``$id`` of the published schemas: a stable name, not an address.
SCHEMA_ID_BASE = "https://schemas.egov.vn/events/"
# Where the schemas are served: every service answers ``GET /schemas/{type}.json`` (writer) and
# ``GET /schemas/reader/{type}.json`` (reader); the runtime sets this from the setting
# ``schema_base_url`` (``EGOV_SCHEMA_BASE_URL``) at start. The default is admin-procedures of
# the local stack (``make run``).
DEFAULT_SCHEMA_BASE_URL = "http://127.0.0.1:8101/schemas/"
_schema_base_url = DEFAULT_SCHEMA_BASE_URL


def configure_schema_base_url(url: str) -> None:
    """Set the base URL ``dataschema`` points into (ends with ``/``)."""
    global _schema_base_url
    _schema_base_url = url if url.endswith("/") else f"{url}/"
    _dataschemas.clear()


def schema_url(event_type: str, role: Literal["reader", "writer"] = "reader") -> str:
    """Where a service serves the type's reader (open) or writer (closed) schema."""
    return f"{_schema_base_url}{'reader/' if role == 'reader' else ''}{event_type}.json"


def dataschema_url(event_type: str) -> str:
    """The ``dataschema`` of an event: its open reader schema, where a service serves it
    (remembered per type until the base URL changes: every published event names it)."""
    url = _dataschemas.get(event_type)
    if url is None:
        url = _dataschemas[event_type] = schema_url(event_type, "reader")
    return url


_dataschemas: dict[str, str] = {}


REQUIRED = ("specversion", "id", "source", "type")


class EnvelopeError(ValueError):
    """The record is not a readable CloudEvent (bad JSON, missing attributes)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventType(LookupError):
    """No contract model is registered for the event's ``type``."""


class SchemaViolation(ValueError):
    """The event's data does not validate against its contract model."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


# CloudEvents 1.0 (type system, String): the control characters U+0000-U+001F and U+007F-U+009F
# MUST NOT be used. A NUL in an id could never be stored in the inbox (PostgreSQL text refuses
# it), so such a record is not a CloudEvent at decode time. A pattern checked by pydantic-core
# (in Rust, with the rest of the validation), not a Python validator called for each attribute
# of each event: that call showed in the consumer's profile.
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
_Attribute = Annotated[str, StringConstraints(pattern=_NO_CONTROL_CHARACTERS)]
CONTROL_CHARACTER_MESSAGE = "a CloudEvents attribute holds a control character"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with the extension attributes of the contracts."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: _Attribute
    source: _Attribute
    type: _Attribute
    subject: _Attribute
    time: VnDatetime
    datacontenttype: _Attribute = "application/json"
    dataschema: _Attribute | None = None
    correlationid: _Attribute | None = None
    causationid: _Attribute | None = None
    traceparent: _Attribute | None = None
    tracestate: _Attribute | None = None
    sequence: _Attribute | None = None
    data: dict[str, Any]


class ContractModel(BaseModel):
    """Base of every model of the contracts, nested ones included.

    Readers are tolerant at every depth: a field unknown to this version (added by a newer
    minor) is ignored, never an error (the Kafka consumers and the HTTP bodies of inbound
    payloads alike). Writers stay closed all the same: a model only ever serialises its
    declared fields, which is what the closed writer schema says.
    """

    model_config = ConfigDict(extra="ignore")


class EventData(ContractModel):
    """Base of every payload model: closed schema for producers, tolerant parsing for readers."""

    event_type: ClassVar[str]
    topic: ClassVar[str]
    # The field that says when the thing happened: the event's CloudEvents ``time`` (None: the
    # data has no such instant, ``time`` is when the event was built).
    occurred_field: ClassVar[str | None] = "occurred_at"

    def occurred(self) -> datetime | None:
        """When the thing happened, if the data says so."""
        value = getattr(self, self.occurred_field, None) if self.occurred_field else None
        return value if isinstance(value, datetime) else None

    @classmethod
    def parse_tolerant(cls, data: dict[str, Any]) -> Self:
        """Validate ``data`` ignoring fields unknown to this version, at every depth."""
        # the model's validator itself: model_validate's wrapper cost a third of this call
        return cls.__pydantic_validator__.validate_python(data)

    @classmethod
    def schema_uri(cls) -> str:
        """The ``$id`` of the type's writer schema."""
        return f"{SCHEMA_ID_BASE}{cls.event_type}.json"


_REGISTRY: dict[str, type[EventData]] = {}
_M = TypeVar("_M", bound=type[EventData])


def register(model: _M) -> _M:
    """Class decorator: make ``model`` the contract of its ``event_type``."""
    existing = _REGISTRY.get(model.event_type)
    if existing is not None and existing is not model:
        raise ValueError(f"{model.event_type} is already registered to {existing.__name__}")
    _REGISTRY[model.event_type] = model
    return model


def model_for(event_type: str) -> type[EventData]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def all_event_types() -> dict[str, type[EventData]]:
    """The public event language: the types defined in ``egov_contracts`` (a test or sample
    service may register its own types for decoding; they are not part of the contract)."""
    return {t: m for t, m in _REGISTRY.items() if m.__module__.startswith("egov_contracts.")}


def parse_data(event: CloudEvent) -> EventData:
    model = model_for(event.type)
    try:
        return model.parse_tolerant(event.data)
    except ValidationError as exc:
        raise SchemaViolation(
            [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from exc


def wire_data(data: BaseModel) -> dict[str, Any]:
    """``data`` as JSON for the wire: an optional field left at ``None`` is omitted, a required
    one that may be ``None`` (e.g. a criterion not decided yet, ``passed: null``) is kept, at
    every depth, so the record validates against the published schema."""
    if _nones_are_optional_fields(type(data)):
        # Every None the model can hold is an optional field: pydantic-core leaves them out
        # itself, without the walk below (which showed in the producers' profile); its
        # serializer itself: model_dump's wrapper cost as much as the serializing (measured).
        return data.__pydantic_serializer__.to_python(data, mode="json", exclude_none=True)
    dumped = data.model_dump(mode="json")
    _prune(data, dumped)
    return dumped


@functools.cache
def _nones_are_optional_fields(model: type[BaseModel]) -> bool:
    """Whether ``exclude_none`` gives what :func:`_prune` gives for every instance of ``model``:
    at every depth, no required field admits None, a None can only be a model's field (no
    ``dict``, ``Any`` or list of optional items, whose None values ``exclude_none`` might treat
    otherwise), and no alias or computed field. Decided once per class from its annotations."""
    return _plain_model(model, set())


def _plain_model(model: type[BaseModel], seen: set[type]) -> bool:
    if model in seen:
        return True
    seen.add(model)
    if model.model_computed_fields:
        return False
    for field in model.model_fields.values():
        if field.alias or field.serialization_alias:
            return False
        if field.is_required() and _admits_none(field.annotation):
            return False
        if not _plain_type(field.annotation, seen):
            return False
    return True


_PLAIN_SCALARS = (str, int, float, bool, Decimal, datetime, date, Enum, uuid.UUID)


def _plain_type(annotation: Any, seen: set[type]) -> bool:
    if annotation is None or annotation is type(None):
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _plain_type(args[0], seen)
    if origin is Literal:
        return None not in args
    if origin in (typing.Union, types.UnionType):
        return all(_plain_type(a, seen) for a in args)
    if origin in (list, tuple, set, frozenset):
        items = [a for a in args if a is not Ellipsis]
        return all(_plain_type(a, seen) and not _admits_none(a) for a in items)
    if isinstance(annotation, type) and origin is None:
        if issubclass(annotation, BaseModel):
            return _plain_model(annotation, seen)
        return issubclass(annotation, _PLAIN_SCALARS)
    return False


def _admits_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _admits_none(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_admits_none(a) for a in typing.get_args(annotation))
    return False


def _prune(model: BaseModel, dumped: dict[str, Any]) -> None:
    for name, field in type(model).model_fields.items():
        key = field.serialization_alias or field.alias or name
        value = getattr(model, name)
        if value is None and not field.is_required():
            dumped.pop(key, None)
        elif isinstance(value, BaseModel) and isinstance(dumped.get(key), dict):
            _prune(value, dumped[key])
        elif isinstance(value, list | tuple) and isinstance(dumped.get(key), list):
            for item, out in zip(value, dumped[key], strict=False):
                if isinstance(item, BaseModel) and isinstance(out, dict):
                    _prune(item, out)


class _Pool:
    __slots__ = ("at", "digits")

    def __init__(self) -> None:
        self.digits = ""  # hex digits, two a byte: a draw is a slice of them
        self.at = 0


class _Entropy(threading.local):
    """Random bytes from ``os.urandom``, drawn 4 KiB at a time (one pool per thread, a new one
    in a forked child): ``uuid.uuid4()`` and ``secrets.token_hex`` make one system call per id,
    which showed in the producers' profile at two ids a published event. The pool is one
    object read once a draw: each attribute of a thread's local costs a lookup."""

    def __init__(self) -> None:
        self.pool = _Pool()


_entropy = _Entropy()


def _fresh_entropy_after_fork() -> None:
    global _entropy
    _entropy = _Entropy()  # never the parent's unused bytes: a child's ids would repeat them


os.register_at_fork(after_in_child=_fresh_entropy_after_fork)


def _random_hex(nbytes: int) -> str:
    pool = _entropy.pool
    start = pool.at
    end = start + 2 * nbytes
    digits = pool.digits
    if end > len(digits):
        digits = pool.digits = os.urandom(4096).hex()
        start, end = 0, 2 * nbytes
    pool.at = end
    return digits[start:end]


_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_event_id() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives."""
    h = _random_hex(16)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
TraceContext = tuple[str, str | None]  # W3C traceparent and tracestate
_current_trace: Callable[[], TraceContext | None] | None = None


def configure_trace_context(current: Callable[[], TraceContext | None] | None) -> None:
    """Where new events take their trace context from: ``current`` gives the span in
    progress (the runtime kit passes OpenTelemetry's when tracing is on), None when there is
    none; unset (the default), events carry the hand-made context of
    :func:`next_traceparent`."""
    global _current_trace
    _current_trace = current


def _trace_id(traceparent: str | None) -> str | None:
    found = _TRACEPARENT.match(traceparent or "")
    return found.group(1) if found else None


def next_traceparent(parent: str | None = None) -> str:
    """A W3C ``traceparent`` for a new hop: the parent's trace id (a new trace without a valid
    parent) and a new span id. Hand-written: five lines of the W3C format do not justify the
    OpenTelemetry SDK in the pure contracts package."""
    return _next_hop(_TRACEPARENT.match(parent or ""))


def _next_hop(parent: re.Match[str] | None) -> str:
    if parent is None:
        return f"00-{_random_hex(16)}-{_random_hex(8)}-01"
    trace_id, flags = parent.group(1, 3)  # one call for both (it runs for every event)
    if trace_id == _INVALID_TRACE_ID:
        trace_id = _random_hex(16)
    return f"00-{trace_id}-{_random_hex(8)}-{flags}"


_INVALID_TRACE_ID = "0" * 32  # W3C: all zeros is not a trace id


def format_sequence(n: int) -> str:
    """The CloudEvents sequence extension: a string that sorts (zero-padded to 20 digits)."""
    if n < 0:
        raise ValueError("sequence must not be negative")
    return f"{n:020d}"


def new_event(
    data: EventData,
    *,
    source: str,
    subject: str,
    sequence: int | None = None,
    cause: CloudEvent | None = None,
    correlationid: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> CloudEvent:
    """Wrap ``data``; with a ``cause``, its correlation is carried on and it is the causation.

    ``time`` is when the thing happened: given, else the data's occurrence field (e.g. a
    dossier's ``occurred_at``, a recorded value's ``recorded_at``), else now; always shown in
    +07:00. ``sequence`` is the per-subject version (a string that sorts). ``traceparent``
    (and ``tracestate``, the CloudEvents distributed-tracing extension) continues the trace of
    the given parent (e.g. the HTTP request's ``traceparent`` header), else of the cause, else
    starts a new one; with a trace context source configured (tracing on), they are the span
    in progress, unless that span is in another trace than the parent's (a batch of events of
    several traces: each effect stays in its cause's trace)."""
    event_id = id or new_event_id()
    parent = traceparent or (cause.traceparent if cause is not None else None)
    state = tracestate or (cause.tracestate if cause is not None else None)
    current = _current_trace() if _current_trace is not None else None
    found = _TRACEPARENT.match(parent) if parent else None  # matched once, used twice
    if current is not None and (
        parent is None or (found.group(1) if found else None) == _trace_id(current[0])
    ):
        event_traceparent, state = current
    else:
        event_traceparent = _next_hop(found)
        state = state if found is not None else None  # a new trace: no vendor state
    if correlationid is None:
        correlationid = (cause.correlationid or cause.id) if cause is not None else event_id
    when = time or data.occurred()
    attributes = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": data.event_type,
        "subject": subject,
        "time": when.astimezone(VN_TZ) if when is not None else datetime.now(VN_TZ),
        "datacontenttype": "application/json",
        "dataschema": dataschema_url(data.event_type),
        "correlationid": correlationid,
        "causationid": cause.id if cause is not None else None,
        "traceparent": event_traceparent,
        "tracestate": state,
        "sequence": format_sequence(sequence) if sequence is not None else None,
        "data": wire_data(data),
    }
    # What may come from the caller, checked here in a few operations (new_event runs for every
    # event published): texts without a control character, the event is assembled as is;
    # anything else goes through the model's validation, which refuses it.
    if (
        type(event_id) is str
        and type(source) is str
        and type(subject) is str
        and type(correlationid) is str
        and (state is None or type(state) is str)
    ):
        joined = f"{event_id}{source}{subject}{correlationid}{state or ''}"
        # isprintable() is False for every control character (and for some other characters,
        # which the regex then clears): a C pass where the regex alone cost ~10 ns a character
        if joined.isprintable() or not _CONTROL_CHARACTER.search(joined):
            return _assembled(attributes)
    return CloudEvent(**attributes)


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DEFAULTED = frozenset({"specversion", "datacontenttype"})
_EXPLICIT = frozenset(CloudEvent.model_fields) - _DEFAULTED  # new_event gives every other one


def _assembled(attributes: dict[str, Any]) -> CloudEvent:
    """The event of ``attributes`` (every field of :class:`CloudEvent`, in its order), without
    validating again what :func:`new_event` made itself (ids, trace context, the time in
    Vietnam time, the JSON-ready data), nor what the caller gave, which it checked. This is what
    pydantic's ``model_construct`` does, without its general work per field, which cost as much
    as validating (the producers' profile). A test compares the result with the validated
    event over every contract example."""
    event = CloudEvent.__new__(CloudEvent)
    _set_dict(event, attributes)
    _set_fields_set(event, set(_EXPLICIT))
    _set_extra(event, {})
    _set_private(event, None)
    return event


# BaseModel's slots, set through their descriptors (what object.__setattr__ looks up by name
# each time: a third of this function's cost)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def to_json(event: CloudEvent) -> bytes:
    """The structured-mode JSON of ``event`` (attributes left at None omitted), written by
    orjson: pydantic's ``model_dump_json`` showed in the producers' profile. The same bytes
    (a test compares them over every contract example); a value orjson does not write (an
    integer beyond 64 bits) falls back to pydantic."""
    # Only the optional attributes can be None (every event holds every field, pydantic's and
    # _assembled's alike): six lookups, where filtering all fourteen cost more than the dump.
    fields = event.__dict__.copy()
    for name in _OPTIONAL_ATTRIBUTES:
        if fields[name] is None:
            del fields[name]
    if event.__pydantic_extra__:
        fields.update((k, v) for k, v in event.__pydantic_extra__.items() if v is not None)
    try:
        return orjson.dumps(fields)
    except (TypeError, orjson.JSONEncodeError):
        return event.model_dump_json(exclude_none=True).encode()


_OPTIONAL_ATTRIBUTES = tuple(
    name
    for name, field in CloudEvent.model_fields.items()
    if not field.is_required() and field.default is None
)


def encode(event: CloudEvent) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Structured-mode Kafka record value and headers."""
    return to_json(event), record_headers(event.type, event.id)


def record_headers(event_type: str, event_id: str) -> list[tuple[str, bytes]]:
    """The headers of a structured-mode record: its content type, and ``ce_type`` and ``ce_id``
    copied for routing (the outbox relay writes them from the row's type and id)."""
    return [_CONTENT_TYPE_HEADER, ("ce_type", _encoded(event_type)), ("ce_id", event_id.encode())]


_CONTENT_TYPE_HEADER = ("content-type", STRUCTURED_CONTENT_TYPE.encode())
# an event type's bytes, remembered: a service publishes a few types, each many times
_encoded = functools.lru_cache(maxsize=1024)(str.encode)


# Bounds of what a reader parses (a record beyond them is an EnvelopeLimitExceeded): JSON
# deeper than any contract needs, and integers with more digits than any contract field has
# (Python refuses to convert more than 4,300 digits with a ValueError; PostgreSQL's bigint holds
# 19). The JSON parser of the fast path stops at depth 200 but accepts any number of digits.
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64
# A long number or a non-JSON constant (NaN, Infinity, which Python's and pydantic's parsers
# accept) may be there: the strict parse decides (it may just be text inside a string). One
# translation of the record (bytes.translate, at C speed) serves every bound: number characters
# become "0" (a run of MAX_NUMBER_CHARS + 1 zeros is a long number), opening brackets "{" (one
# count bounds the depth), the first letters of NaN and Infinity "N" (only a record with one is
# searched for them), the rest " ". The equivalent regex ``[0-9.eE+-]{65,}`` cost as much as
# parsing the record, and a pass over the bytes for each bound (five) most of the bounds' cost.
_SCAN_MAP = bytes(
    0x30 if c in b"0123456789.eE+-" else 0x7B if c in b"{[" else 0x4E if c in b"NI" else 0x20
    for c in range(256)
)
_NUMBER_RUN = b"0" * (MAX_NUMBER_CHARS + 1)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")
_INNERMOST = re.compile(rb"\{\}|\[\]")


_VALIDATOR = CloudEvent.__pydantic_validator__


class EnvelopeLimitExceeded(EnvelopeError):
    """The record is beyond a bound of the reader (nesting depth, number length)."""


def decode(value: bytes | None, headers: Sequence[tuple[str, bytes | None]]) -> CloudEvent:
    """A CloudEvent from a Kafka record in structured or binary mode.

    Any byte sequence either gives a CloudEvent or raises :class:`EnvelopeError`: headers that
    are not UTF-8, JSON nested deeper than ``MAX_DEPTH``, numbers longer than
    ``MAX_NUMBER_CHARS`` and whatever else the parsers refuse all end as that one error class.
    """
    try:
        return _decode(value, headers)
    except EnvelopeError:
        raise
    except (ValueError, TypeError, RecursionError, MemoryError, AttributeError) as exc:
        # UnicodeDecodeError and the int-digits limit are ValueErrors; RecursionError is a
        # RuntimeError the JSON parser raises on deep nesting.
        raise EnvelopeError(f"unreadable record: {type(exc).__name__}: {exc}"[:500]) from exc


def _decode(value: bytes | None, headers: Sequence[tuple[str, bytes | None]]) -> CloudEvent:
    hdrs = {str(k).lower(): v for k, v in headers}
    if value is None:
        raise EnvelopeError("empty record value")
    content_type = ""
    binary = False
    if "ce_specversion" in hdrs:  # the content type decides only then (read for no other record)
        # Tolerant: a content type that is not UTF-8 is simply not one of ours.
        content_type = _text(hdrs.get("content-type") or b"", errors="replace").lower()
        binary = not content_type.startswith("application/cloudevents")
    try:
        _check_bounds(value)
        if binary:
            attrs: dict[str, Any] = {
                k[3:]: _text(v or b"") for k, v in hdrs.items() if k.startswith("ce_")
            }
            if content_type:
                attrs["datacontenttype"] = content_type.split(";")[0].strip()
            attrs["data"] = _loads(value) if value else {}
        else:
            try:  # the fast path: validate the JSON bytes directly, with the model's
                # validator itself (model_validate_json's wrapper cost 8 % of the call)
                return _VALIDATOR.validate_json(value)
            except ValidationError:
                pass  # say precisely what is wrong below
            attrs = _loads(value)
            if not isinstance(attrs, dict):
                raise EnvelopeError("the record value is JSON but not an object")
            if "data_base64" in attrs:
                raise EnvelopeError("data_base64 is not supported: data must be JSON")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise EnvelopeError(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise EnvelopeLimitExceeded("JSON nested too deeply") from exc
    missing = [a for a in (*REQUIRED, "subject", "time") if a not in attrs]
    if missing:
        raise EnvelopeError(f"not a CloudEvent: missing {', '.join(missing)}")
    if not isinstance(attrs.get("data"), dict):
        raise EnvelopeError("data must be a JSON object")
    try:
        return CloudEvent.model_validate(attrs)
    except ValidationError as exc:
        error = exc.errors()[0]
        pattern = error["type"] == "string_pattern_mismatch"  # the only pattern: see _Attribute
        why = CONTROL_CHARACTER_MESSAGE if pattern else error["msg"]
        raise EnvelopeError(f"invalid CloudEvent attributes: {why}") from exc


def _check_bounds(value: bytes) -> None:
    """Refuse deep nesting, long numbers and NaN/Infinity before a lenient parser sees them.

    The common record (a handful of brackets, short numbers) costs one translation and two
    searches of it, all at C speed; only a suspicious record is looked at more closely.
    """
    scan = value.translate(_SCAN_MAP)
    if scan.count(b"{") > MAX_DEPTH and _depth_exceeds(value, MAX_DEPTH):
        raise EnvelopeLimitExceeded(f"JSON nested deeper than {MAX_DEPTH} levels")
    if _NUMBER_RUN in scan or (b"N" in scan and (b"NaN" in value or b"Infinity" in value)):
        _loads(value, parse_int=_bounded_number, parse_float=_bounded_number)


def _depth_exceeds(value: bytes, limit: int) -> bool:
    """Whether the JSON's brackets nest deeper than ``limit``, without parsing it.

    json.loads bounds depth only by the interpreter's recursion limit, and pydantic's parser
    not below 200, so the bound is measured first: strings dropped, only brackets kept, then
    innermost pairs removed ``limit`` times; anything left is deeper (or not JSON anyway).
    One pass removes the pairs that are innermost before it, in one sweep: removing ``{}``
    and then ``[]`` in a second sweep would peel two levels of ``[{…}]`` at once.
    """
    brackets = _STRING.sub(b"", value).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        inner = _INNERMOST.sub(b"", brackets)
        if inner == brackets:
            break
        brackets = inner
    return bool(brackets)


def _bounded_number(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        raise EnvelopeLimitExceeded(f"a number longer than {MAX_NUMBER_CHARS} characters")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _loads(value: bytes, **hooks: Any) -> Any:
    return json.loads(value, parse_constant=_refuse_constant, **hooks)


def _refuse_constant(name: str) -> Any:
    raise EnvelopeError(f"not JSON: {name} is not a JSON number")


def _text(v: bytes | str, errors: str = "strict") -> str:
    return v.decode("utf-8", errors) if isinstance(v, bytes) else v
