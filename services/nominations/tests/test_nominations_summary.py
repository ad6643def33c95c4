"""The sentences of a commendation conference, from award counts (pure, no I/O)."""

from __future__ import annotations

from egov_nominations.domain import AwardKind, NomineeKind
from egov_nominations.domain.summary import CountRow, count_vi, sentences

A = AwardKind
C, IND = NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL
BO = "Bộ Lao động - Thương binh và Xã hội"


def test_counts_are_printed_as_the_reports_print_them() -> None:
    assert [count_vi(n) for n in (1, 8, 13, 325, 1437, 12000)] == [
        "01",
        "08",
        "13",
        "325",
        "1.437",
        "12.000",
    ]


def test_a_conference_in_sentences_highest_awards_first() -> None:
    rows = [
        CountRow(A.LAO_DONG_TIEN_TIEN, "department", IND, 1437),
        CountRow(A.GIAY_KHEN, "department", C, 325),
        CountRow(A.GIAY_KHEN, "department", IND, 1437),
        CountRow(A.BANG_KHEN_BO, BO, C, 8),
        CountRow(A.BANG_KHEN_BO, BO, IND, 7),
        CountRow(A.CHIEN_SI_THI_DUA_CAP_TINH, "central", IND, 2),
        CountRow(A.CHIEN_SI_THI_DUA_CAP_TINH, "province", IND, 3),
        CountRow(A.HUAN_CHUONG_LAO_DONG_HANG_BA, "central", C, 1),
        CountRow(A.CO_THI_DUA_CHINH_PHU, "central", C, 1),
        CountRow(A.TAP_THE_LAO_DONG_XUAT_SAC, "department", C, 17),
        CountRow(A.GIAY_KHEN, "Giám đốc Sở Nội vụ", C, 1),
        CountRow(A.GIAY_KHEN, "Giám đốc Sở Nội vụ", IND, 13),
    ]
    said = [s.text_vi for s in sentences(rows)]
    assert said == [
        "Tặng Huân chương Lao động hạng Ba cho 01 tập thể",
        "Tặng Cờ thi đua của Chính phủ cho 01 tập thể",
        f"Tặng Bằng khen của {BO} cho 08 tập thể và 07 cá nhân",
        "Công nhận danh hiệu «Chiến sĩ thi đua cấp bộ» cho 02 cá nhân",
        "Công nhận danh hiệu «Chiến sĩ thi đua cấp tỉnh» cho 03 cá nhân",
        "Tặng Giấy khen của Giám đốc Sở Nội vụ cho 01 tập thể và 13 cá nhân",
        "Tặng Giấy khen cho 325 tập thể và 1.437 cá nhân",
        "Công nhận danh hiệu «Tập thể lao động xuất sắc» cho 17 tập thể",
        "Công nhận danh hiệu «Lao động tiên tiến» cho 1.437 cá nhân",
    ]
    bo = next(s for s in sentences(rows) if s.award == A.BANG_KHEN_BO)
    assert (bo.level, bo.collectives, bo.individuals) == (BO, 8, 7)


def test_nothing_conferred_says_nothing() -> None:
    assert sentences([]) == []
