"""Demo templates, rules and recipients (Vietnamese texts)."""

from __future__ import annotations

from egov_contracts.reference import load_units

from egov_notifier.domain.rules import Channel, Person, Rule

PROC = "vn.egov.procedures"
TEMPLATES = {
    "dossier-approaching": (
        "[Sắp đến hạn] Hồ sơ {{ data.dossier_code }}",
        "Kính gửi cán bộ xử lý,\n\nHồ sơ {{ data.dossier_code }}"
        " (thủ tục {{ data.procedure_code }}) sắp đến hạn trả kết quả lúc {{ data.due_at }}."
        "\nThời gian làm việc còn lại: {{ (data.minutes_left / 60) | round(1) }} giờ."
        "\n\nHệ thống egov-events",
    ),
    "dossier-overdue": (
        "[Quá hạn] Hồ sơ {{ data.dossier_code }}",
        "Hồ sơ {{ data.dossier_code }} (thủ tục {{ data.procedure_code }}, đơn vị"
        " {{ data.unit_code }}) đã quá hạn trả kết quả từ {{ data.due_at }}.\nĐề nghị đơn vị"
        " ban hành phiếu xin lỗi và hẹn lại ngày trả kết quả theo quy định."
        "\n\nHệ thống egov-events",
    ),
    "dossier-apology": (
        "[Phiếu xin lỗi] Hồ sơ {{ data.dossier_code }}",
        "Đơn vị {{ data.unit_code }} đã ban hành phiếu xin lỗi, hẹn lại ngày trả kết quả"
        " {{ data.new_due_at }}. Lý do: {{ data.reason }}",
    ),
    "rate-computed": (
        "Tỷ lệ giải quyết đúng hạn kỳ {{ data.period }}: {{ data.on_time_rate or 'chưa có' }}%",
        "Đơn vị {{ data.unit_code }}, kỳ {{ data.period }} ({{ data.period_from }} –"
        " {{ data.period_to }}): đã giải quyết"
        " {{ data.resolved_early + data.resolved_on_time + data.resolved_late }} hồ sơ, trong đó"
        " trước hạn {{ data.resolved_early }}, đúng hạn {{ data.resolved_on_time }}, quá hạn"
        " {{ data.resolved_late }}. Tỷ lệ đúng và trước hạn:"
        " {{ data.on_time_rate or 'chưa có' }}%.",
    ),
}
RULES = [
    Rule(
        "dossier-approaching",
        f"{PROC}.dossier.deadline-approaching.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("officer",),
        template_id="dossier-approaching",
    ),
    Rule(
        "dossier-overdue",
        f"{PROC}.dossier.overdue.v1",
        (Channel.EMAIL, Channel.IN_APP, Channel.SMS),
        roles=("head",),
        ancestor_roles=("operator",),
        template_id="dossier-overdue",
    ),
    Rule(
        "dossier-apology",
        f"{PROC}.dossier.apology-issued.v1",
        (Channel.IN_APP,),
        ancestor_roles=("operator",),
        template_id="dossier-apology",
    ),
    Rule(
        "rate-computed",
        f"{PROC}.on-time-rate.computed.v1",
        (Channel.IN_APP,),
        roles=("head", "operator"),
        template_id="rate-computed",
        priority="low",
    ),
]


def people() -> list[Person]:
    out = []
    for unit in load_units():
        if unit.valid_to is not None:
            continue
        slug = unit.unit_code.lower().replace(".", "-")
        out.append(
            Person(
                f"{slug}-officer",
                unit.unit_code,
                "officer",
                f"Cán bộ xử lý {unit.name}",
                f"canbo.{slug}@demo.egov.vn",
            )
        )
        out.append(
            Person(
                f"{slug}-head",
                unit.unit_code,
                "head",
                f"Lãnh đạo {unit.name}",
                f"lanhdao.{slug}@demo.egov.vn",
                "0912000000",
            )
        )
        if unit.level in ("province",) or unit.unit_code == "38.SNV":
            out.append(
                Person(
                    f"{slug}-operator",
                    unit.unit_code,
                    "operator",
                    f"Bộ phận theo dõi {unit.name}",
                    f"theodoi.{slug}@demo.egov.vn",
                )
            )
    return out
