from egov_nominations.domain.completeness import Document, missing_documents, required_documents
from egov_nominations.domain.register import AwardKind, NomineeKind


def test_a_complete_file_has_no_reasons_to_return() -> None:
    docs = [d.value for d in required_documents(AwardKind.GIAY_KHEN, NomineeKind.INDIVIDUAL)]
    assert missing_documents(AwardKind.GIAY_KHEN, NomineeKind.INDIVIDUAL, docs) == []


def test_each_missing_document_is_a_reason() -> None:
    reasons = missing_documents(
        AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, NomineeKind.INDIVIDUAL, [Document.PROPOSAL.value]
    )
    assert len(reasons) == 3
    assert any("bao-cao-thanh-tich" in r for r in reasons)
    assert any("xac-nhan-sang-kien" in r for r in reasons)


def test_initiative_proof_only_for_provincial_and_national_fighters() -> None:
    assert Document.INITIATIVE_PROOF not in required_documents(
        AwardKind.CHIEN_SI_THI_DUA_CO_SO, NomineeKind.INDIVIDUAL
    )
    assert Document.INITIATIVE_PROOF in required_documents(
        AwardKind.CHIEN_SI_THI_DUA_TOAN_QUOC, NomineeKind.INDIVIDUAL
    )
