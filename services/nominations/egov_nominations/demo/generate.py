"""Demo data: the department (Sở Nội vụ, which took over the Department of Labour, Invalids and
Social Affairs) with its sub-units and a few communes, about 200 people with three years of
ratings, initiatives and award history, the 2025 year-end review in every status, and the
2026 movement in progress with registrations.

Deterministic (a seeded generator) and idempotent: a second run finds the 2026 movement and
stops. The files go through the same use cases as the API, so their events are published.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from egov_contracts.reference import load_units
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.service import Runtime
from egov_runtime.units import upsert_units

from egov_nominations.adapters import clusters as cluster_store
from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.rules import DecidingLevel
from egov_nominations.usecases import clusters, councils, decisions, movements, proposals
from egov_nominations.usecases.common import Context, Work

DEPT = "38.SNV"
UNITS = [
    "38.SNV",
    "38.SNV.NCC",
    "38.SNV.VL",
    "38.SNV.GDNN",
    "38.XA.HACTHANH",
    "38.XA.THOXUAN",
    "38.XA.NGASON",
]
YEARS = (2023, 2024, 2025)
MOVEMENT_2025 = "PT-2025-SNV"
MOVEMENT_2026 = "PT-2026-SNV"
COUNCIL = "HD-38.SNV"
ALL_DOCS = ["to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong", "xac-nhan-sang-kien"]

SURNAMES = ["Nguyễn", "Lê", "Trần", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thu", "Đức", "Ngọc", "Thanh"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Hà",
    "Hải",
    "Hoa",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vân",
    "Yến",
]
RATINGS = ["hoan-thanh-xuat-sac", "hoan-thanh-tot", "hoan-thanh", "khong-hoan-thanh"]


def _people(rng: random.Random, count: int) -> list[dict[str, Any]]:
    weights = [40, 25, 30, 20, 30, 30, 25]
    out = []
    for i in range(1, count + 1):
        female = rng.random() < 0.55
        middle = "Thị" if female else rng.choice([m for m in MIDDLE if m != "Thị"])
        out.append(
            {
                "person_id": f"CB{i:04d}",
                "name": f"{rng.choice(SURNAMES)} {middle} {rng.choice(GIVEN)}",
                "unit_code": rng.choices(UNITS, weights)[0],
                "female": female,
            }
        )
    return out


def _rating(rng: random.Random, strong: bool) -> str:
    weights = [60, 35, 5, 0] if strong else [20, 58, 19, 3]
    return rng.choices(RATINGS, weights)[0]


async def seed(rt: Runtime, count: int = 200) -> str:
    rng = random.Random(38)
    ctx = Context(source=rt.source)
    async with rt.transaction() as tx:
        await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
        if await files.get_movement(tx.conn, MOVEMENT_2026) is not None:
            added = await _clusters_2025(tx, ctx)  # for demo data seeded before the clusters
            n = await files.count_nominations(tx.conn)
            return f"demo data already present ({n} nominations){added}"

        people = _people(rng, count)
        ratings: dict[str, dict[int, str]] = {}
        for p in people:
            await store.upsert_person(
                tx.conn, p["person_id"], p["name"], p["unit_code"], p["female"]
            )
            strong = rng.random() < 0.25
            ratings[p["person_id"]] = {y: _rating(rng, strong) for y in YEARS}
            for y in YEARS:
                leave = []
                months = Decimal(12)
                if rng.random() < 0.04:
                    months = Decimal(6)
                    leave = [{"kind": "thai-san", "months": "6"}]
                await store.upsert_rating(
                    tx.conn,
                    p["person_id"],
                    y,
                    p["unit_code"],
                    ratings[p["person_id"]][y],
                    months,
                    leave,
                    "demo",
                )
        for unit in UNITS:
            for y in YEARS:
                await store.upsert_unit_rating(tx.conn, unit, y, rng.choice(RATINGS[:2]))
        # award history of 2023 and 2024: LĐTT for good ratings, CSTĐ cơ sở for some of the
        # excellent ones; initiatives recognised by the unit, a few province-wide
        for y in (2023, 2024):
            for p in people:
                r = ratings[p["person_id"]][y]
                if r in RATINGS[:2]:
                    await _award(tx.conn, p, "lao-dong-tien-tien", y, f"{y % 100:02d}/QĐ-LĐTT")
                if r == RATINGS[0] and rng.random() < 0.4:
                    await _award(tx.conn, p, "chien-si-thi-dua-co-so", y, f"{y % 100:02d}/QĐ-CSTĐ")
        await _conference_2024(tx.conn, people)
        for i, p in enumerate(people):
            if rng.random() < 0.2:
                for y in (2024, 2025):
                    if rng.random() < 0.7:
                        await store.upsert_initiative(
                            tx.conn,
                            {
                                "initiative_id": f"SK-{y}-{i:04d}",
                                "person_id": p["person_id"],
                                "title": f"Sáng kiến cải tiến quy trình {y} ({p['unit_code']})",
                                "year": y,
                                "kind": "sang-kien",
                                "recognised_by": "Hội đồng sáng kiến " + p["unit_code"],
                                "scope": "province" if rng.random() < 0.2 else "unit",
                                "accepted_and_applied": True,
                                "decision_number": f"{i}/QĐ-SK",
                            },
                        )
        # a pending inspection puts one file on hold
        await store.upsert_pending(
            tx.conn,
            {
                "matter_id": "TT-2025-01",
                "nominee_kind": "individual",
                "nominee_ref": _held(people)["person_id"],
                "kind": "inspection",
                "opened_on": date(2025, 11, 3),
                "reference": "Kết luận thanh tra chưa ban hành",
                "resolved": False,
            },
        )
        await files.upsert_council(
            tx.conn,
            {
                "council_id": COUNCIL,
                "unit_code": DEPT,
                "name": "Hội đồng Thi đua - Khen thưởng Sở Nội vụ",
                "level": DecidingLevel.DEPARTMENT.value,
                "members": [
                    {"member_id": f"tv{i:02d}", "name": f"Thành viên {i:02d}"} for i in range(1, 12)
                ],
                "created_by": "demo",
            },
        )
        await movements.launch_movement(
            Work.on(tx),
            ctx,
            _who("admin", DEPT),
            movements.LaunchMovement(
                "Phong trào thi đua thực hiện thắng lợi nhiệm vụ năm 2025",
                DEPT,
                2025,
                date(2025, 1, 15),
                date(2025, 12, 31),
                (AwardKind.LAO_DONG_TIEN_TIEN, AwardKind.CHIEN_SI_THI_DUA_CO_SO),
                MOVEMENT_2025,
            ),
        )
        summary = await _review_2025(tx, ctx, people, ratings)
        clusters = await _clusters_2025(tx, ctx)
        await _movement_2026(tx, ctx, people)
    return (
        f"{count} people, 3 years of ratings; 2025 review: {summary}{clusters};"
        " 2026 movement launched"
    )


async def _award(conn: Any, p: dict[str, Any], award: str, year: int, number: str) -> None:
    await store.add_award(
        conn,
        {
            "nominee_kind": "individual",
            "nominee_ref": p["person_id"],
            "unit_code": p["unit_code"],
            "award": award,
            "year": year,
            "decision_number": number,
            "level": "department",
            "decided_on": date(year, 12, 25),
            "source": "demo",
        },
    )


# the department's 2024 commendation conference beyond the yearly titles: the Ministry of Home
# Affairs' Bằng khen and the director's Giấy khen, for collectives and individuals
CONFERENCE_2024 = {
    ("bang-khen-bo", "Bộ Nội vụ", "01/QĐ-BNV"): (2, 7),
    ("giay-khen", "Giám đốc Sở Nội vụ", "02/QĐ-SNV"): (3, 13),
}


async def _conference_2024(conn: Any, people: list[dict[str, Any]]) -> None:
    start = 0
    for (award, grantor, number), (units, persons) in CONFERENCE_2024.items():
        recipients = [("collective", u, u) for u in UNITS[1 : 1 + units]] + [
            ("individual", p["person_id"], p["unit_code"]) for p in people[start : start + persons]
        ]
        start += persons
        for kind, ref, unit_code in recipients:
            await store.add_award(
                conn,
                {
                    "nominee_kind": kind,
                    "nominee_ref": ref,
                    "unit_code": unit_code,
                    "award": award,
                    "year": 2024,
                    "decision_number": number,
                    "level": grantor,
                    "decided_on": date(2025, 1, 15),
                    "source": "demo",
                },
            )


def _held(people: list[dict[str, Any]]) -> dict[str, Any]:
    """The person with a pending inspection (their file is on hold)."""
    return next(p for p in people if p["unit_code"].startswith(DEPT + "."))


def _who(role: str, unit: str, subject: str | None = None) -> Principal:
    return Principal(subject=subject or f"demo-{role}", roles=frozenset({role}), unit_code=unit)


async def _propose(
    tx: Tx,
    ctx: Context,
    ref: str,
    unit: str,
    award: str,
    kind: str = "individual",
    docs: list[str] | None = None,
) -> str:
    n = await proposals.propose(
        Work.on(tx),
        ctx,
        _who("officer", unit),
        proposals.Propose(
            NomineeKind(kind),
            ref,
            AwardKind(award),
            2025,
            movement_id=MOVEMENT_2025,
            occasion="yearly",
            documents=tuple(ALL_DOCS if docs is None else docs),
            summary="Hoàn thành xuất sắc nhiệm vụ được giao năm 2025",
        ),
    )
    return n.nomination_id


async def _do(tx: Tx, action: Any) -> Any:
    async with tx.conn.transaction():  # a savepoint: a refused step leaves the rest intact
        return await action(tx)


async def _review_2025(
    tx: Tx,
    ctx: Context,
    people: list[dict[str, Any]],
    ratings: dict[str, dict[int, str]],
) -> str:
    officer, head = _who("officer", DEPT), _who("head", DEPT, "giam-doc-so")
    dept_people = [p for p in people if p["unit_code"].startswith(DEPT)]
    good = [p for p in dept_people if ratings[p["person_id"]][2025] in RATINGS[:2]]
    # LĐTT 2025: 13 people decided by the director (Giấy khen-level decision of the department)
    ldtt = [p for p in good if p is not _held(people)][:13]
    ids = []
    for p in ldtt:
        nid = await _propose(tx, ctx, p["person_id"], p["unit_code"], "lao-dong-tien-tien")
        await _do(tx, lambda t, n=nid: proposals.submit(Work.on(tx), ctx, officer, n, None))
        await _do(tx, lambda t, n=nid: proposals.check_completeness(Work.on(tx), ctx, officer, n))
        await _do(tx, lambda t, n=nid: decisions.approve(Work.on(tx), ctx, head, n, None))
        ids.append(nid)
    await _do(
        tx,
        lambda t: decisions.decide(
            Work.on(tx),
            ctx,
            head,
            decisions.Decide(
                "05/QĐ-SNV", date(2026, 1, 16), "Giám đốc Sở Nội vụ", DEPT, tuple(ids)
            ),
        ),
    )
    counts = {"decided": len(ids)}
    # CSTĐ cơ sở 2025: excellent among the LĐTT; under review, one voted and approved
    cstd = [p for p in ldtt if ratings[p["person_id"]][2025] == RATINGS[0]][:3]
    session_id = "PH-2026-01"
    await _do(
        tx,
        lambda t: councils.record_session(
            Work.on(tx),
            ctx,
            officer,
            councils.RecordSession(
                COUNCIL,
                date(2026, 1, 20),
                tuple(f"tv{i:02d}" for i in range(1, 11)),
                session_id,
            ),
        ),
    )
    for i, p in enumerate(cstd):
        nid = await _propose(tx, ctx, p["person_id"], p["unit_code"], "chien-si-thi-dua-co-so")
        await _do(tx, lambda t, n=nid: proposals.submit(Work.on(tx), ctx, officer, n, None))
        await _do(tx, lambda t, n=nid: proposals.check_completeness(Work.on(tx), ctx, officer, n))
        if i == 0:
            member = _who("council", DEPT, "tv01")
            await _do(
                tx,
                lambda t, n=nid, m=member: councils.record_tally(
                    Work.on(t), ctx, m, councils.RecordTally(session_id, n, 10)
                ),
            )
            await _do(tx, lambda t, n=nid: decisions.approve(Work.on(tx), ctx, head, n, None))
            counts["approved"] = 1
        else:
            counts["under-review"] = counts.get("under-review", 0) + 1
    # Bằng khen of the provincial chairman: approved here, forwarded to the province
    two_excellent = [
        p
        for p in dept_people
        if ratings[p["person_id"]][2024] == ratings[p["person_id"]][2025] == RATINGS[0]
        and p not in cstd
    ][:1]
    for p in two_excellent:
        for y in (2024, 2025):
            await store.upsert_initiative(
                tx.conn,
                {
                    "initiative_id": f"SK-BK-{y}-{p['person_id']}",
                    "person_id": p["person_id"],
                    "title": f"Số hoá hồ sơ người có công năm {y}",
                    "year": y,
                    "kind": "sang-kien",
                    "recognised_by": "Hội đồng sáng kiến Sở Nội vụ",
                    "scope": "unit",
                    "accepted_and_applied": True,
                },
            )
        nid = await _propose(tx, ctx, p["person_id"], p["unit_code"], "bang-khen-chu-tich-tinh")
        await _do(tx, lambda t, n=nid: proposals.submit(Work.on(tx), ctx, officer, n, None))
        await _do(tx, lambda t, n=nid: proposals.check_completeness(Work.on(tx), ctx, officer, n))
        try:
            await _do(tx, lambda t, n=nid: decisions.approve(Work.on(tx), ctx, head, n, None))
            await _do(
                tx,
                lambda t, n=nid: decisions.forward(
                    Work.on(tx),
                    ctx,
                    head,
                    n,
                    decisions.Forward(DecidingLevel.PROVINCE, "38", "Trình Chủ tịch UBND tỉnh"),
                ),
            )
            counts["forwarded"] = 1
        except Exception:  # not eligible after all: it stays under review in the demo
            counts["under-review"] = counts.get("under-review", 0) + 1
    # rejected: rated only "hoàn thành" in 2025
    weak = [p for p in dept_people if ratings[p["person_id"]][2025] == RATINGS[2]][:1]
    for p in weak:
        nid = await _propose(tx, ctx, p["person_id"], p["unit_code"], "lao-dong-tien-tien")
        await _do(tx, lambda t, n=nid: proposals.submit(Work.on(tx), ctx, officer, n, None))
        await _do(tx, lambda t, n=nid: proposals.check_completeness(Work.on(tx), ctx, officer, n))
        await _do(
            tx,
            lambda t, n=nid: decisions.reject(
                Work.on(tx), ctx, head, n, "Xếp loại năm 2025 dưới mức hoàn thành tốt nhiệm vụ"
            ),
        )
        counts["rejected"] = 1
    # on hold (pending inspection), returned (missing documents), submitted, draft
    held = _held(people)
    nid = await _propose(tx, ctx, held["person_id"], held["unit_code"], "lao-dong-tien-tien")
    await _do(tx, lambda t: proposals.submit(Work.on(tx), ctx, officer, nid, None))
    await _do(tx, lambda t: proposals.check_completeness(Work.on(tx), ctx, officer, nid))
    rest = [p for p in good if p not in ldtt and p is not held]
    if rest:
        p = rest[0]
        nid = await _propose(
            tx, ctx, p["person_id"], p["unit_code"], "lao-dong-tien-tien", docs=["to-trinh"]
        )
        await _do(tx, lambda t: proposals.submit(Work.on(tx), ctx, officer, nid, None))
        await _do(tx, lambda t: proposals.check_completeness(Work.on(tx), ctx, officer, nid))
        counts["returned"] = 1
    if len(rest) > 1:
        p = rest[1]
        nid = await _propose(tx, ctx, p["person_id"], p["unit_code"], "lao-dong-tien-tien")
        await _do(tx, lambda t: proposals.submit(Work.on(tx), ctx, officer, nid, None))
        counts["submitted"] = 1
    for unit in ("38.SNV.VL", "38.SNV.NCC"):
        await _propose(tx, ctx, unit, unit, "tap-the-lao-dong-tien-tien", kind="collective")
        counts["draft"] = counts.get("draft", 0) + 1
    return ", ".join(f"{v} {k}" for k, v in counts.items())


CLUSTERS_2025 = [
    # (cluster, name, the unit that runs it, members, leader, meeting reference, date)
    (
        "CUM-SNV-PHONG",
        "Cụm thi đua các phòng chuyên môn thuộc Sở Nội vụ",
        DEPT,
        ["38.SNV.NCC", "38.SNV.VL", "38.SNV.GDNN"],
        "38.SNV.GDNN",
        "BB-03/CTĐ-SNV",
        date(2025, 12, 19),
    ),
    (
        "CUM-XA-TRUNGTAM",
        "Cụm thi đua các xã, phường khu vực trung tâm",
        "38",
        ["38.XA.HACTHANH", "38.XA.THOXUAN", "38.XA.NGASON"],
        "38.XA.HACTHANH",
        "BB-07/CTĐ-CUMXA",
        date(2025, 12, 23),
    ),
]


async def _clusters_2025(tx: Tx, ctx: Context) -> str:
    """Two emulation clusters of 2025 with the leader each proposed, and a Cờ thi đua file
    (draft) for the department's leading collective; nothing when already there."""
    if await cluster_store.get_cluster_year(tx.conn, CLUSTERS_2025[0][0], 2025) is not None:
        return ""
    for cid, name, runner, members, leader, meeting, held_on in CLUSTERS_2025:
        officer = _who("officer", runner)
        w = Work.on(tx)
        await clusters.put_cluster(
            w, ctx, officer, clusters.RecordCluster(cid, 2025, name, runner, tuple(members))
        )
        await clusters.put_leaders(
            w, ctx, officer, clusters.RecordLeaders(cid, 2025, (leader,), meeting, held_on)
        )
    leader = CLUSTERS_2025[0][4]
    await store.upsert_unit_rating(tx.conn, leader, 2025, "hoan-thanh-xuat-sac")
    if (
        await files.open_nomination_for(
            tx.conn, "collective", leader, "co-thi-dua-cap-tinh", 2025, "yearly"
        )
        is None
    ):
        await _propose(tx, ctx, leader, leader, "co-thi-dua-cap-tinh", kind="collective")
    return f"; {len(CLUSTERS_2025)} emulation clusters with their 2025 leaders"


async def _movement_2026(tx: Any, ctx: Context, people: list[dict[str, Any]]) -> None:
    await movements.launch_movement(
        Work.on(tx),
        ctx,
        _who("admin", DEPT),
        movements.LaunchMovement(
            "Phong trào thi đua “Cán bộ, công chức thi đua thực hiện văn hoá công sở” năm 2026",
            DEPT,
            2026,
            date(2026, 1, 10),
            date(2026, 12, 31),
            (
                AwardKind.LAO_DONG_TIEN_TIEN,
                AwardKind.CHIEN_SI_THI_DUA_CO_SO,
                AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN,
                AwardKind.TAP_THE_LAO_DONG_XUAT_SAC,
            ),
            MOVEMENT_2026,
        ),
    )
    for unit in UNITS[1:4]:
        await movements.register_for_title(
            Work.on(tx),
            ctx,
            _who("officer", unit),
            movements.RegisterForTitle(
                2026,
                NomineeKind.COLLECTIVE,
                unit,
                AwardKind.TAP_THE_LAO_DONG_XUAT_SAC,
                MOVEMENT_2026,
            ),
        )
    for p in people[:40]:
        award = (
            AwardKind.CHIEN_SI_THI_DUA_CO_SO
            if int(p["person_id"][2:]) % 5 == 0
            else AwardKind.LAO_DONG_TIEN_TIEN
        )
        await movements.register_for_title(
            Work.on(tx),
            ctx,
            _who("officer", p["unit_code"]),
            movements.RegisterForTitle(
                2026, NomineeKind.INDIVIDUAL, p["person_id"], award, MOVEMENT_2026
            ),
        )
