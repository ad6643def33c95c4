"""Records that must never stop a consumer: each ends as a dead letter, and the partition's next
record is handled. Shared by the runtime kit's poison suite and every service's inbound topics.
"""

from __future__ import annotations

from dataclasses import dataclass

# A structured CloudEvent whose ``data`` is filled in by the shapes below.
_ENVELOPE = (
    b'{"specversion":"1.0","id":"%s","source":"/vn/38/poison","type":"vn.egov.poison.v1",'
    b'"subject":"POISON","time":"2026-11-23T09:00:00+07:00","data":%s}'
)
STRUCTURED = [("content-type", b"application/cloudevents+json; charset=UTF-8")]

# Big enough to be refused by a consumer whose ``max_record_bytes`` is TOO_LARGE_LIMIT.
TOO_LARGE_LIMIT = 256 * 1024


@dataclass(frozen=True)
class Poison:
    name: str
    value: bytes | None
    headers: list[tuple[str, bytes]]
    reasons: frozenset[str]  # the dead-letter reasons it may end with

    @property
    def size(self) -> int:
        return len(self.value or b"") + sum(len(k) + len(v) for k, v in self.headers)


def _p(name: str, value: bytes | None, headers: list[tuple[str, bytes]], *reasons: str) -> Poison:
    return Poison(name, value, headers, frozenset(reasons))


POISON: list[Poison] = [
    # The three shapes that used to escape the decoder and restart the consumer in a loop.
    _p(
        "content-type-not-utf8",
        b"\xc3\x28{not json",
        [("content-type", b"\xff\xfe\xfa"), ("ce_specversion", b"1.0"), ("ce_id", b"\xff")],
        "not-a-cloudevent",
    ),
    _p(
        "json-nested-1500",
        _ENVELOPE % (b"deep", b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}"),
        STRUCTURED,
        "limit-exceeded",
    ),
    _p(
        "integer-4301-digits",
        _ENVELOPE % (b"bigint", b'{"n":' + b"7" * 4301 + b"}"),
        STRUCTURED,
        "limit-exceeded",
    ),
    # Some more of the same family.
    _p("empty-value", b"", [], "not-a-cloudevent"),
    _p("tombstone", None, [], "not-a-cloudevent"),
    _p("binary-garbage", bytes(range(256)) * 16, [("x", bytes(range(256)))], "not-a-cloudevent"),
    _p("open-brackets", b"[" * 200_000, STRUCTURED, "limit-exceeded"),
    _p("nan", _ENVELOPE % (b"nan", b'{"n":NaN}'), STRUCTURED, "not-a-cloudevent"),
    _p(
        "huge-headers",
        b"{}",
        [(f"h{i}", b"\x00\xff" * 2048) for i in range(80)],
        "too-large",
    ),
    _p(  # a value that a dead-letter protector (sealing personal data) cannot re-encode
        "surrogate-beside-applicant",
        _ENVELOPE % (b"sealing", b'{"applicant":{"full_name":"Nguyen Van A"},"z":"\\ud800"}'),
        STRUCTURED,
        "unknown-type",
        "not-a-cloudevent",
    ),
    # A NUL in an id (which the inbox could never store) is refused at decode time, whatever
    # the type: whether a type is known depends on which contract modules are imported (the
    # kit's sample type is registered once ``egov_devkit.sample`` is), and a known type that a
    # subscription does not take is skipped, not dead-lettered.
    _p(
        "nul-in-id-of-a-known-type",
        (
            b'{"specversion":"1.0","id":"nul\\u0000id","source":"/vn/38/poison",'
            b'"type":"vn.egov.sample.item.recorded.v1","subject":"POISON",'
            b'"time":"2026-11-23T09:00:00+07:00","data":{"item_code":"X","unit_code":"38",'
            b'"status":"received","occurred_at":"2026-11-23T09:00:00+07:00"}}'
        ),
        STRUCTURED,
        "not-a-cloudevent",
    ),
    _p(
        "nul-and-surrogate-in-id",
        _ENVELOPE % (b"a\\u0000b\\ud800", b"{}"),
        STRUCTURED,
        "not-a-cloudevent",
    ),
]
