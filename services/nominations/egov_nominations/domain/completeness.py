"""Completeness of a nomination file — thành phần hồ sơ đề nghị khen thưởng.

The documents a file needs before the deciding level reviews it. The list is a default that
a province may change: the composition of files is set by Nghị định 152/2025/NĐ-CP (file
components per award) and has not been checked article by article here, so the citation is
marked as needing a legal check.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from egov_nominations.domain.register import AwardKind, NomineeKind

CITATION = "Nghị định 152/2025/NĐ-CP (thành phần hồ sơ; cần đối chiếu điều khoản)"


class Document(StrEnum):
    PROPOSAL = "to-trinh"  # tờ trình đề nghị khen thưởng
    ACHIEVEMENT_REPORT = "bao-cao-thanh-tich"  # báo cáo thành tích
    COUNCIL_MINUTES = "bien-ban-hoi-dong"  # biên bản họp Hội đồng thi đua, khen thưởng cấp trình
    INITIATIVE_PROOF = "xac-nhan-sang-kien"  # xác nhận sáng kiến, đề tài và phạm vi ảnh hưởng

    @property
    def label_vi(self) -> str:
        return _LABELS[self]


_LABELS = {
    Document.PROPOSAL: "Tờ trình đề nghị khen thưởng",
    Document.ACHIEVEMENT_REPORT: "Báo cáo thành tích",
    Document.COUNCIL_MINUTES: "Biên bản họp Hội đồng thi đua, khen thưởng của đơn vị trình",
    Document.INITIATIVE_PROOF: "Văn bản công nhận sáng kiến, đề tài và phạm vi ảnh hưởng",
}

_NEEDS_INITIATIVE_PROOF = frozenset(
    {AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, AwardKind.CHIEN_SI_THI_DUA_TOAN_QUOC}
)


def required_documents(award: AwardKind, nominee: NomineeKind) -> list[Document]:
    """The documents a file for this award needs (default composition)."""
    docs = [Document.PROPOSAL, Document.ACHIEVEMENT_REPORT, Document.COUNCIL_MINUTES]
    if nominee == NomineeKind.INDIVIDUAL and award in _NEEDS_INITIATIVE_PROOF:
        docs.append(Document.INITIATIVE_PROOF)
    return docs


def missing_documents(
    award: AwardKind, nominee: NomineeKind, documents: Iterable[str]
) -> list[str]:
    """Reasons to return the file, one per missing document (empty when complete)."""
    have = set(documents)
    return [
        f"Thiếu {d.label_vi} ({d.value})"
        for d in required_documents(award, nominee)
        if d.value not in have
    ]
