"""The report form as the province files it (Biểu số 06/VPCP/KSTT): a unit's quarter over HTTP,
grouped by field (lĩnh vực) with its procedures, and the CSV and XLSX read back as a
spreadsheet program reads them (headings, "Tổng số" rows, numeric rate, the policy line); and
the national service index (QĐ 766/QĐ-TTg) of a unit's month over HTTP."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.procedures import REPORT_COUNTS
from egov_contracts.topics import DOSSIERS, RATES, STATUS_REPORTS
from egov_devkit.testing.service import TopicReader, running_alone
from egov_procedures.adapters import catalogue
from egov_procedures.domain.report import FORM_COLUMNS
from egov_procedures.main import DEMO, SPEC
from egov_procedures.settings import ProceduresSettings
from egov_runtime.auth import credential_header, issue_token
from egov_workdays import VN_TZ
from openpyxl import load_workbook

pytestmark = pytest.mark.integration
UNIT = "38.SNV.NCC"  # Phòng Người có công


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap, postgres_admin_dsn, SPEC, timer_interval_s=3600, rates_interval_s=3600
    ) as svc:
        async with svc.runtime.transaction() as tx:
            procs = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
            await catalogue.upsert_procedures(tx.conn, procs)
        yield svc


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def reader(kafka_bootstrap):
    r = TopicReader(kafka_bootstrap, [DOSSIERS.name, RATES.name])
    await r.start()
    yield r
    await r.stop()


async def send(producer, code, status, at, procedure, unit=UNIT, **kw) -> None:
    data = c.StatusReported(
        dossier_code=code,
        procedure_code=procedure,
        unit_code=unit,
        status=status,
        occurred_at=at,
        **kw,
    )
    secret = ProceduresSettings().jwt_secret.get_secret_value()
    auth = credential_header(
        issue_token(secret, subject="mot-cua", roles=["integration"], unit_code="38")
    )
    value, headers = encode(new_event(data, source="/vn/38/mot-cua", subject=code))
    await producer.send_and_wait(
        STATUS_REPORTS.name, value=value, key=code.encode(), headers=[*headers, auth]
    )


@pytest.fixture(scope="module")
async def quarter(service, producer, reader):
    """2026-Q2 by the ND 09/2019 cut-off (15/03–14/06/2026) of Phòng Người có công: two fields,
    every column of the form touched."""
    tag = uuid.uuid4().hex[:4]
    code = {k: f"F-{k}-{tag}" for k in "ABCDEF"}
    # A: 5 working days, received before the period (carried over), resolved early
    await send(producer, code["A"], "received", vn(2026, 3, 10, 8), "1.010805", channel="counter")
    await send(producer, code["A"], "resolved", vn(2026, 3, 16, 8), "1.010805", result="granted")
    # B: online, due 13/04 08:00, resolved late
    await send(producer, code["B"], "received", vn(2026, 4, 6, 8), "1.010805", channel="online")
    await send(producer, code["B"], "resolved", vn(2026, 4, 20, 8), "1.010805", result="granted")
    # C: 10 working days, due 20/04 08:00, resolved at the deadline: on time
    await send(producer, code["C"], "received", vn(2026, 4, 6, 8), "1.010802", channel="counter")
    await send(producer, code["C"], "resolved", vn(2026, 4, 20, 8), "1.010802", result="refused")
    # D: Việc làm, due 11/05, still open at the end of the period: overdue
    await send(producer, code["D"], "received", vn(2026, 5, 4, 8), "1.000105", channel="counter")
    # E: Việc làm, due 17/06, open at the end of the period: within the deadline
    await send(producer, code["E"], "received", vn(2026, 6, 10, 8), "1.000105", channel="postal")
    # F: withdrawn by the applicant
    await send(producer, code["F"], "received", vn(2026, 5, 4, 8), "1.010802", channel="counter")
    await send(producer, code["F"], "withdrawn", vn(2026, 5, 5, 8), "1.010802")
    await reader.until(
        lambda: (
            all(reader.of(code[k], "resolved.v1") for k in "ABC")
            and reader.of(code["F"], "withdrawn.v1")
            and all(reader.of(code[k], "received.v1") for k in "DE")
        ),
        30,
    )
    return code


async def get(service, **params):
    r = await service.client.get(
        "/v1/reports/on-time",
        headers=service.token("officer", unit=UNIT),
        params={"unit": UNIT, "period": "2026-Q2", **params},
    )
    assert r.status_code == 200, r.text
    return r


async def test_the_json_form_with_subtotals_and_fields(service, quarter):
    body = (await get(service, group_by="field")).json()
    assert body["form"]["code"] == "06/VPCP/KSTT"
    assert body["legal_basis"]["decree"].startswith("Nghị định 118/2025/NĐ-CP")
    assert "needs_legal_check" in body["legal_basis"]["checked"]
    assert body["unit_name"] == "Phòng Người có công"
    assert (body["from"], body["to"]) == ("2026-03-15", "2026-06-14")
    total = body["total"]
    assert (total["carried_over"], total["received_online"], total["received_counter_postal"]) == (
        1,
        1,
        4,
    )
    assert total["to_handle"] == 6  # carried over + received in the period
    assert (total["resolved_early"], total["resolved_on_time"], total["resolved_late"]) == (1, 1, 1)
    assert (total["in_progress"], total["in_progress_overdue"], total["withdrawn"]) == (2, 1, 1)
    assert total["on_time_rate"] == "66.66"
    fields = {g["field"]: g for g in body["groups"]}
    assert list(fields) == ["Người có công", "Việc làm"]
    ncc, vl = fields["Người có công"], fields["Việc làm"]
    assert (ncc["to_handle"], ncc["resolved"], ncc["withdrawn"], ncc["on_time_rate"]) == (
        4,
        3,
        1,
        "66.66",
    )
    assert [p["procedure"] for p in ncc["procedures"]] == ["1.010802", "1.010805"]
    assert ncc["procedures"][1]["name"] == "Cấp lại giấy chứng nhận người có công"
    assert (vl["to_handle"], vl["in_progress"], vl["in_progress_overdue"]) == (2, 2, 1)
    assert vl["on_time_rate"] is None  # nothing resolved: no rate, never 100
    by_procedure = (await get(service, group_by="procedure")).json()["groups"]
    assert {g["procedure"]: g["field"] for g in by_procedure}["1.000105"] == "Việc làm"


async def test_the_rates_job_publishes_the_report_as_served(service, quarter, reader):
    """``on-time-rate.computed.v1`` of the unit's closed quarter carries the counts the API
    answers (one assembly of the report); the same figures are not published again."""
    from egov_procedures.usecases import publish_rates

    ctx = service.app.state.wiring.state["context"]
    quarter_q2 = [("2026-Q2", date(2026, 3, 15), date(2026, 6, 14))]
    assert await publish_rates(service.runtime, ctx, quarter_q2) >= 1
    subject = f"{UNIT}/2026-Q2"
    await reader.until(lambda: reader.of(subject, "on-time-rate.computed.v1"), 20)
    data = reader.of(subject, "on-time-rate.computed.v1")[0].data
    served = (await get(service)).json()["total"]
    assert {k: data[k] for k in REPORT_COUNTS} == {k: served[k] for k in REPORT_COUNTS}
    assert (data["on_time_rate"], data["revision"]) == ("66.66", 1) == (served["on_time_rate"], 1)
    assert await publish_rates(service.runtime, ctx, quarter_q2) == 0


def _table(rows: list[list]) -> tuple[list, list[list]]:
    """The lines above the heading row, and the table from the heading row on."""
    at = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    return rows[:at], rows[at:]


HEADINGS = ["STT", "Lĩnh vực, thủ tục hành chính", *(h for _k, h in FORM_COLUMNS)]


async def test_csv_reads_back_as_the_form(service, quarter):
    r = await get(service, group_by="field", format="csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs read UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    above, table = _table(rows)
    text = "\n".join(cell for line in above for cell in line)
    assert "Biểu số 06/VPCP/KSTT (Thông tư 01/2020/TT-VPCP)" in text
    assert "Đơn vị báo cáo: Phòng Người có công (38.SNV.NCC)" in text
    assert "từ ngày 15/03/2026 đến ngày 14/06/2026" in text and "09/2019/NĐ-CP" in text
    assert "không tính vào số đã giải quyết" in text  # the returned/withdrawn policy
    assert "Căn cứ cơ chế một cửa: Nghị định 118/2025/NĐ-CP" in text  # in force on 14/06/2026
    assert table[0] == HEADINGS
    col = {h: i for i, h in enumerate(HEADINGS)}
    labels = [(line[0], line[1]) for line in table[1:]]
    assert labels == [
        ("1", "Người có công"),
        ("1.1", "1.010802 — Cấp giấy chứng nhận thân nhân liệt sĩ"),
        ("1.2", "1.010805 — Cấp lại giấy chứng nhận người có công"),
        ("2", "Việc làm"),
        ("2.1", "1.000105 — " + table[5][1].split(" — ", 1)[1]),
        ("", "Tổng số"),
    ]
    total = table[-1]
    assert total[col["Số hồ sơ nhận giải quyết: Tổng số"]] == "6"
    assert total[col["Số hồ sơ đang giải quyết: Tổng số"]] == "2"
    assert total[col["Tỷ lệ trước hạn, đúng hạn (%)"]] == "66.66"
    assert table[4][col["Tỷ lệ trước hạn, đúng hạn (%)"]] == ""  # Việc làm: no rate


async def test_xlsx_reads_back_with_numbers_in_vietnamese_format(service, quarter):
    r = await get(service, group_by="field", format="xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = [list(row) for row in sheet.iter_rows()]
    values = [[cell.value for cell in row] for row in rows]
    assert "Tình hình, kết quả giải quyết thủ tục hành chính" in values[0][0]
    above, table = _table(values)
    text = "\n".join(str(v) for line in above for v in line if v)
    assert "Biểu số 06/VPCP/KSTT" in text and "không tính vào số đã giải quyết" in text
    assert table[0] == HEADINGS
    col = {h: i for i, h in enumerate(HEADINGS)}
    rate_col = col["Tỷ lệ trước hạn, đúng hạn (%)"]
    total_row = rows[len(above) + len(table) - 1]
    assert table[-1][1] == "Tổng số"
    rate = total_row[rate_col]
    assert isinstance(rate.value, float) and Decimal(str(rate.value)) == Decimal("66.66")
    assert rate.number_format == "[$-42A]#,##0.00"
    handled = total_row[col["Số hồ sơ nhận giải quyết: Tổng số"]]
    assert handled.value == 6 and handled.number_format == "[$-42A]#,##0"
    assert table[1][1] == "Người có công" and table[1][col["Trả quá hạn"]] == 1


async def test_downloads_grouped_by_procedure_and_ungrouped(service, quarter):
    rows = list(
        csv.reader(io.StringIO((await get(service, format="csv")).content.decode("utf-8-sig")))
    )
    _above, table = _table(rows)
    assert [line[1] for line in table[1:]] == ["Tổng số"]
    sheet = load_workbook(
        io.BytesIO((await get(service, group_by="procedure", format="xlsx")).content)
    ).active
    labels = [row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert "1.010805 — Cấp lại giấy chứng nhận người có công" in labels


VL = "38.SNV.VL"  # Phòng Lao động - Việc làm


@pytest.fixture(scope="module")
async def month(service, producer, reader):
    """March 2026 by the cut-off (15/02–14/03) of Phòng Lao động - Việc làm: a procedure of 10
    working days received on Mon 23/02 (after Tết) is due 09/03 08:00."""
    tag = uuid.uuid4().hex[:4]
    p = "1.010802"
    mon = vn(2026, 2, 23, 8)
    code = {
        k: f"I-{k}-{tag}" for k in ("early", "ontime", "late", "overdue", "within", "sup1", "sup2")
    }
    steps = {
        "early": [("received", mon), ("resolved", vn(2026, 3, 5, 10))],
        "ontime": [("received", mon), ("resolved", vn(2026, 3, 9, 7, 50))],
        "late": [("received", mon), ("resolved", vn(2026, 3, 10, 9))],
        "overdue": [("received", vn(2026, 2, 24, 8))],  # due 10/03, open on 14/03
        "within": [("received", vn(2026, 3, 9, 8))],
        "sup1": [
            ("received", mon),
            ("supplement-requested", vn(2026, 2, 25, 8)),
            ("supplement-received", vn(2026, 3, 2, 8)),
            ("resolved", vn(2026, 3, 11, 10)),  # due moved to 12/03 by the supplement
        ],
        "sup2": [
            ("received", mon),
            ("supplement-requested", vn(2026, 2, 24, 8)),
            ("supplement-received", vn(2026, 2, 25, 8)),
            ("supplement-requested", vn(2026, 2, 26, 8)),
            ("supplement-received", vn(2026, 2, 27, 8)),
            ("resolved", vn(2026, 3, 4, 10)),
        ],
    }
    # the optional facts of QĐ 766 from two dossiers' systems; the others send none
    facts = {
        ("early", "received"): {"digitised": True, "paid_online": True},
        ("early", "resolved"): {"electronic_result": True, "satisfaction": "satisfied"},
        ("late", "received"): {"digitised": False},
    }
    for key, events in steps.items():
        for status, at in events:
            extra = {"channel": "counter"} if status == "received" else {}
            if status == "resolved":
                extra = {"result": "granted"}
            extra.update(facts.get((key, status), {}))
            await send(producer, code[key], status, at, p, unit=VL, **extra)
    await reader.until(
        lambda: (
            all(
                reader.of(code[k], "resolved.v1")
                for k in ("early", "ontime", "late", "sup1", "sup2")
            )
            and reader.of(code["overdue"], "received.v1")
            and reader.of(code["within"], "received.v1")
        ),
        30,
    )
    return code


async def index(service, **params):
    r = await service.client.get(
        "/v1/reports/service-index",
        headers=service.token("officer", unit=VL),
        params={"unit": VL, "period": "2026-03", **params},
    )
    assert r.status_code == 200, r.text
    return r


async def test_service_index_of_a_unit_and_month(service, month):
    body = (await index(service)).json()
    assert (body["from"], body["to"], body["unit_name"]) == (
        "2026-02-15",
        "2026-03-14",
        "Phòng Lao động - Việc làm",
    )
    p = body["progress"]
    assert (p["denominator"], p["in_time"], p["late"]) == (7, 4, 3)
    assert (p["rate"], p["score"], p["points"]) == ("57.14", "11.43", "20")
    verdicts = {d["dossier_code"]: d["verdict"] for d in body["dossiers"]}
    assert verdicts == {
        month["early"]: "in-time",
        month["ontime"]: "in-time",
        month["late"]: "late",
        month["overdue"]: "late",
        month["within"]: "in-time",
        month["sup1"]: "in-time",
        month["sup2"]: "late",
    }
    comparison = body["form_comparison"]
    assert (comparison["form_rate"], comparison["difference_pp"]) == ("80.00", "-22.86")
    assert {d["dossier_code"] for d in comparison["explained_by"]} == {
        month["overdue"],
        month["within"],
        month["sup2"],
    }
    # the same unit and period on the form's own report
    form = await service.client.get(
        "/v1/reports/on-time",
        headers=service.token("officer", unit=VL),
        params={"unit": VL, "period": "2026-03"},
    )
    assert form.json()["total"]["on_time_rate"] == comparison["form_rate"]
    indicators = {i["code"]: i for i in body["indicators"]}
    assert indicators["tien-do-giai-quyet"]["status"] == "computed"
    shares = {
        k: (i["status"], i.get("numerator"), i.get("denominator"), i["rate"])
        for k, i in indicators.items()
    }
    assert shares["so-hoa-ho-so"] == ("computed", 1, 2, "50.00")
    assert shares["ket-qua-dien-tu"] == ("computed", 1, 1, "100.00")
    assert shares["muc-do-hai-long"] == ("computed", 1, 1, "100.00")
    assert shares["dich-vu-truc-tuyen"] == ("computed", 0, 7, "0.00")  # all at the counter
    assert set(body["lacking_data"]) == {"cong-khai-minh-bach"}
    assert indicators["cong-khai-minh-bach"]["missing"]
    assert body["rule_set"]["needs_legal_check"] and "766/QĐ-TTg" in body["legal_check"]


async def test_service_index_downloads_list_the_dossiers(service, month):
    rows = list(
        csv.reader(io.StringIO((await index(service, format="csv")).content.decode("utf-8-sig")))
    )
    above, table = _table(rows)
    text = "\n".join(cell for line in above for cell in line)
    assert "điểm 11.43/20" in text and "chênh lệch -22.86" in text and "766/QĐ-TTg" in text
    assert table[0][:3] == ["STT", "Mã hồ sơ", "Mã thủ tục"]
    assert {line[1] for line in table[1:]} == set(month.values())
    sheet = load_workbook(io.BytesIO((await index(service, format="xlsx")).content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    _above, xtable = _table(values)
    late = next(line for line in xtable[1:] if line[1] == month["sup2"])
    assert late[7] == "Quá hạn" and late[9] == 2


async def test_service_index_refuses_a_bad_period_and_another_unit(service):
    officer = service.token("officer", unit=VL)
    bad = await service.client.get(
        "/v1/reports/service-index", headers=officer, params={"period": "2026-13"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"
    other = await service.client.get(
        "/v1/reports/service-index",
        headers=officer,
        params={"unit": UNIT, "period": "2026-03"},
    )
    assert other.status_code == 403


async def test_service_index_says_which_indicators_lack_data(service, quarter):
    r = await service.client.get(
        "/v1/reports/service-index",
        headers=service.token("officer", unit=UNIT),
        params={"unit": UNIT, "period": "2026-05"},
    )
    body = r.json()  # reports without the optional facts (the quarter's dossiers)
    assert body["progress"]["denominator"] > 0
    assert set(body["lacking_data"]) == {
        "cong-khai-minh-bach",
        "thanh-toan-truc-tuyen",
        "so-hoa-ho-so",
        "ket-qua-dien-tu",
        "muc-do-hai-long",
    }
    lacking = [i for i in body["indicators"] if i["status"] == "no-data"]
    assert all(i["missing"] and i["score"] is None for i in lacking)


async def test_service_index_published_and_corrected_by_a_late_event(
    service, month, producer, reader
):
    """``service-index.computed.v1`` for the unit's closed month; the same figures are not
    published again; a late report that changes them is, with the next revision."""
    from egov_procedures.usecases import Work, publish_service_index
    from egov_runtime.units import descendants

    ctx = service.app.state.wiring.state["context"]
    first, last = date(2026, 2, 15), date(2026, 3, 14)

    async def publish() -> bool:
        async with service.runtime.transaction() as tx:
            scope = await descendants(tx.conn, VL)
            return await publish_service_index(Work.on(tx), ctx, VL, scope, "2026-03", first, last)

    assert await publish()
    assert not await publish()  # unchanged: nothing new on the topic
    # the job's round over every reporting unit (those with dossiers, and the province): this
    # unit's month is unchanged, the province's is new
    from egov_procedures.usecases import publish_service_indexes

    assert await publish_service_indexes(service.runtime, ctx, [("2026-03", first, last)]) >= 1
    await reader.until(lambda: reader.of("38/2026-03", "service-index.computed.v1"), 20)
    province = reader.of("38/2026-03", "service-index.computed.v1")[0].data
    assert province["progress_denominator"] >= 7  # the province's subtree holds this unit
    subject = f"{VL}/2026-03"
    await reader.until(lambda: reader.of(subject, "service-index.computed.v1"), 20)
    data = reader.of(subject, "service-index.computed.v1")[0].data
    assert (data["progress_denominator"], data["progress_in_time"]) == (7, 4)
    assert (data["progress_rate"], data["progress_score"]) == ("57.14", "11.43")
    assert (data["form_on_time_rate"], data["difference_pp"]) == ("80.00", "-22.86")
    assert data["revision"] == 1 and data["rule_set"] == "766-2022"
    assert data["needs_legal_check"] is True
    scores = {i["code"]: i for i in data["indicators"]}
    assert scores["cong-khai-minh-bach"]["has_data"] is False
    assert scores["so-hoa-ho-so"]["rate"] == "50.00"

    # a report arriving late: the dossier open on 14/03 had been resolved on 12/03 (early)
    await send(
        producer,
        month["within"],
        "resolved",
        vn(2026, 3, 12, 8),
        "1.010802",
        unit=VL,
        result="granted",
    )
    await reader.until(lambda: reader.of(month["within"], "resolved.v1"), 20)
    assert await publish()
    await reader.until(lambda: len(reader.of(subject, "service-index.computed.v1")) == 2, 20)
    again = reader.of(subject, "service-index.computed.v1")[1].data
    assert again["revision"] == 2
    assert (again["progress_rate"], again["form_on_time_rate"]) == ("57.14", "83.33")
