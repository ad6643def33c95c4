"""The sentences a commendation conference prints for the awards of a year, e.g. «Tặng Bằng
khen của Bộ Lao động - Thương binh và Xã hội cho 08 tập thể và 07 cá nhân»: one per award
and granting level, highest awards first, counts as the reports write them (two digits at
least, thousands with a dot: 01, 36, 1.437)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from egov_nominations.domain.engine import AWARD_NAMES_VI
from egov_nominations.domain.register import AwardKind, NomineeKind

A = AwardKind
# the order conference reports follow: state honours, then the Government's, the ministries'
# and the province's, then the department's and the titles of the year
ORDER: tuple[AwardKind, ...] = (
    A.HUAN_CHUONG_LAO_DONG_HANG_NHAT,
    A.HUAN_CHUONG_LAO_DONG_HANG_NHI,
    A.HUAN_CHUONG_LAO_DONG_HANG_BA,
    A.HUAN_CHUONG_LAO_DONG,
    A.CHIEN_SI_THI_DUA_TOAN_QUOC,
    A.CO_THI_DUA_CHINH_PHU,
    A.BANG_KHEN_THU_TUONG,
    A.CO_THI_DUA_BO,
    A.BANG_KHEN_BO,
    A.CO_THI_DUA_CAP_TINH,
    A.BANG_KHEN_CHU_TICH_TINH,
    A.CHIEN_SI_THI_DUA_CAP_TINH,
    A.GIAY_KHEN,
    A.TAP_THE_LAO_DONG_XUAT_SAC,
    A.TAP_THE_LAO_DONG_TIEN_TIEN,
    A.CHIEN_SI_THI_DUA_CO_SO,
    A.LAO_DONG_TIEN_TIEN,
)
# titles are recognised (công nhận danh hiệu); flags, certificates and orders are given (tặng)
_TITLES = {
    A.LAO_DONG_TIEN_TIEN,
    A.CHIEN_SI_THI_DUA_CO_SO,
    A.CHIEN_SI_THI_DUA_CAP_TINH,
    A.CHIEN_SI_THI_DUA_TOAN_QUOC,
    A.TAP_THE_LAO_DONG_TIEN_TIEN,
    A.TAP_THE_LAO_DONG_XUAT_SAC,
}
LEVELS = {"commune", "district", "department", "province", "central", ""}
_BY_GRANTOR = {
    A.BANG_KHEN_BO: "Bằng khen của",
    A.CO_THI_DUA_BO: "Cờ thi đua của",
    A.GIAY_KHEN: "Giấy khen của",
}


@dataclass(frozen=True)
class CountRow:
    award: AwardKind
    level: str  # a deciding level, or the granting authority as recorded (e.g. "Bộ Nội vụ")
    nominee_kind: NomineeKind
    n: int


@dataclass(frozen=True)
class Sentence:
    award: AwardKind
    level: str
    collectives: int
    individuals: int
    text_vi: str


def count_vi(n: int) -> str:
    """01, 08, 36, 1.437 — as the conference reports print a count."""
    return f"{n:02d}" if n < 1000 else f"{n:,}".replace(",", ".")


def award_label(award: AwardKind, level: str) -> str:
    """The award as the sentence names it, with its grantor when the record names one."""
    if award in _BY_GRANTOR and level not in LEVELS:
        return f"{_BY_GRANTOR[award]} {level}"
    if award == A.CHIEN_SI_THI_DUA_CAP_TINH and level == "central":
        return "Chiến sĩ thi đua cấp bộ"
    if award == A.CHIEN_SI_THI_DUA_CAP_TINH and level == "province":
        return "Chiến sĩ thi đua cấp tỉnh"
    return AWARD_NAMES_VI[award]


def sentences(rows: Iterable[CountRow]) -> list[Sentence]:
    """One sentence per award and level: «Tặng X cho 08 tập thể và 07 cá nhân»,
    «Công nhận danh hiệu «Y» cho 12 cá nhân»."""
    groups: dict[tuple[AwardKind, str], dict[NomineeKind, int]] = {}
    for r in rows:
        g = groups.setdefault((r.award, r.level), {})
        g[r.nominee_kind] = g.get(r.nominee_kind, 0) + r.n
    out = []
    for (award, level), counts in sorted(
        groups.items(), key=lambda kv: (ORDER.index(kv[0][0]), kv[0][1])
    ):
        coll, ind = counts.get(NomineeKind.COLLECTIVE, 0), counts.get(NomineeKind.INDIVIDUAL, 0)
        whom = " và ".join(
            part
            for part in (
                f"{count_vi(coll)} tập thể" if coll else "",
                f"{count_vi(ind)} cá nhân" if ind else "",
            )
            if part
        )
        label = award_label(award, level)
        head = f"Công nhận danh hiệu «{label}»" if award in _TITLES else f"Tặng {label}"
        out.append(Sentence(award, level, coll, ind, f"{head} cho {whom}"))
    return out
