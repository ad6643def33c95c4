"""Demo data for ``make run``: the unit hierarchy, the catalogue, the plan's targets and the
submissions behind the seed reports' figures (2024 by the former districts, 2025 by the communes
that succeeded them), and a monthly data set of ten communes with their October 2025 reports
(five on time, three late, two missing). Idempotent: submissions already on record and unchanged
targets change nothing."""

from __future__ import annotations

from decimal import Decimal

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, new_event
from egov_contracts.reference import load_units
from egov_runtime.service import Runtime
from egov_runtime.units import upsert_units

from egov_indicators.demo import data
from egov_indicators.usecases.common import Context, Work, load_rulebook
from egov_indicators.usecases.reporting import data_set_of, put_data_set
from egov_indicators.usecases.submissions import Incoming, handle_submissions
from egov_indicators.usecases.targets import SetTarget, set_target

BEFORE, AFTER = "2024", "2025"


async def seed(rt: Runtime) -> str:
    ctx = Context(source=rt.source, clock=lambda: rt.now().astimezone(VN_TZ))
    async with rt.transaction() as tx:
        await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
        await load_rulebook(Work.on(tx))
    items = []
    for payload in [*data.submissions(BEFORE, AFTER), *data.monthly_submissions()]:
        received = c.SubmissionReceived.model_validate(payload)
        cause = new_event(received, source=f"{rt.source}/demo", subject=payload["submission_id"])
        items.append(Incoming(received, cause, "demo"))
    async with rt.transaction() as tx:
        results = await handle_submissions(Work.on(tx), ctx, items)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        for code, unit, period, target in data.targets(AFTER):
            note = "Nghị quyết HĐND tỉnh (demo)"
            await set_target(w, ctx, SetTarget(code, unit, period, Decimal(target), note, "demo"))
        await put_data_set(w, data_set_of(data.DATA_SET), "demo")
    done = {r.outcome for r in results}
    when = ctx.clock().date().isoformat()
    return (
        f"{len(items)} demo submissions ({', '.join(sorted(done))}) and"
        f" {len(data.TARGETS)} targets for {AFTER}; achievement as of {when};"
        f" data set {data.DATA_SET['code']} ({len(data.DATA_SET['units'])} communes)"
    )
