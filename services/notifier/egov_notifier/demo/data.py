"""Demo recipients: an officer and a head at every current unit, operators at the province and
the department (the default rules and templates are in the domain)."""

from __future__ import annotations

from egov_contracts.reference import load_units

from egov_notifier.domain.rules import Person


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
