"""The eligibility engine: checks a nominee's record against the rule in force.

Every criterion answers with its outcome and the facts behind it (years, decisions,
figures) and a short message in Vietnamese and English, so that an officer can see why.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Literal

from egov_contracts.nominations import AWARD_NAMES_VI  # one table, with the contract's enum
from pydantic import BaseModel, ConfigDict, computed_field

from egov_nominations.domain.register import (
    AwardKind,
    AwardRecord,
    EmulationCluster,
    IndividualRecord,
    NomineeKind,
    NomineeRecord,
    TaskRating,
    UnitRecord,
)
from egov_nominations.domain.rules import (
    AllMembersComplete,
    AllOf,
    AnyOf,
    AwardRule,
    BallotShareOfAllMembersAtLeast,
    Citation,
    Condition,
    ConsecutiveRatings,
    ConsecutiveTitles,
    Initiatives,
    LedEmulationCluster,
    MemberShareWithTitle,
    MembersWithTitleAtLeast,
    MonthsWorkedAtLeast,
    NoDisciplineInYear,
    NoMemberDisciplineAtLeast,
    NotPendingInspection,
    RatingAtLeast,
    RuleSet,
    TitlesWithin,
)
from egov_nominations.domain.voting import VoteResult, tally_result


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ON_HOLD = "on-hold"  # a pending discipline or inspection — tạm hoãn
    AWAITING_VOTE = "awaiting-vote"  # no valid council vote yet


class Fact(BaseModel):
    """One piece of evidence: a figure, a year's rating, a decision."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: str | int | Decimal | bool | None
    year: int | None = None
    decision_number: str | None = None


class CriterionResult(BaseModel):
    """The verdict on one condition of the rule, with its evidence."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    citation: Citation
    outcome: Outcome
    evidence: list[Fact]
    message_vi: str
    message_en: str
    children: list[CriterionResult] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def citation_text(self) -> str:
        return str(self.citation)


Eligibility = bool | Literal["on-hold", "awaiting-vote"]


class Assessment(BaseModel):
    """Eligible or not, with every criterion of the rule in force."""

    model_config = ConfigDict(frozen=True)

    nominee_kind: NomineeKind
    nominee_ref: str
    award: AwardKind
    year: int
    rule_set_id: str
    rule_citation: Citation
    eligible: Eligibility
    criteria: list[CriterionResult]
    context: list[Fact] = []
    vote: VoteResult | None = None

    @property
    def on_hold(self) -> bool:
        return self.eligible == "on-hold"

    def criterion(self, criterion_id: str) -> CriterionResult:
        """Find a criterion by id, nested ones included."""
        stack = list(self.criteria)
        while stack:
            c = stack.pop(0)
            if c.id == criterion_id:
                return c
            stack.extend(c.children)
        raise KeyError(criterion_id)


def assess(
    record: NomineeRecord,
    award: AwardKind,
    year: int,
    ruleset: RuleSet,
    vote: VoteResult | None = None,
) -> Assessment:
    """Check `record` for `award` in achievement `year` under `ruleset`.

    `vote` is the council's tally, if it has voted; the ballot condition is judged on the
    rule's own threshold whatever threshold the tally was taken with.
    """
    rule = ruleset.rule_for(award, record.kind)
    ctx = _Ctx(record=record, year=year, rule=rule, vote=vote)
    results = [ctx.evaluate(c) for c in rule.conditions]
    return Assessment(
        nominee_kind=record.kind,
        nominee_ref=record.ref,
        award=award,
        year=year,
        rule_set_id=ruleset.id,
        rule_citation=rule.citation,
        eligible=_eligibility(_combine_all([r.outcome for r in results])),
        criteria=results,
        context=_context(record, year),
        vote=vote,
    )


def _eligibility(outcome: Outcome) -> Eligibility:
    if outcome == Outcome.PASSED:
        return True
    if outcome == Outcome.FAILED:
        return False
    return "on-hold" if outcome == Outcome.ON_HOLD else "awaiting-vote"


def _combine_all(outcomes: list[Outcome]) -> Outcome:
    """All must pass: a failure decides; then on hold; then a missing vote."""
    for o in (Outcome.FAILED, Outcome.ON_HOLD, Outcome.AWAITING_VOTE):
        if o in outcomes:
            return o
    return Outcome.PASSED


def _combine_any(outcomes: list[Outcome]) -> Outcome:
    """One must pass: a pass decides; otherwise what could still turn it."""
    for o in (Outcome.PASSED, Outcome.ON_HOLD, Outcome.AWAITING_VOTE):
        if o in outcomes:
            return o
    return Outcome.FAILED


def _context(record: NomineeRecord, year: int) -> list[Fact]:
    """Figures shown on a collective's nomination from the other services."""
    if not isinstance(record, UnitRecord):
        return []
    ev = record.evidence_in(year)
    return [
        Fact(key="on_time_rate_pct", value=ev.on_time_rate_pct if ev else None, year=year),
        Fact(
            key="target_achievement_pct",
            value=ev.target_achievement_pct if ev else None,
            year=year,
        ),
    ]


def _pct(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _ok(passed: bool) -> Outcome:
    return Outcome.PASSED if passed else Outcome.FAILED


def _verdict(passed: bool) -> tuple[str, str]:
    return ("đạt", "met") if passed else ("không đạt", "not met")


def _awaiting(a: AwardRecord) -> str | None:
    """How a title approved for the same decision shows in the evidence."""
    if a.awaiting_decision is None:
        return None
    return f"đã duyệt, chờ quyết định (hồ sơ {a.awaiting_decision})"


def _held(a: AwardRecord) -> Fact:
    return Fact(
        key=a.award.value,
        value=_awaiting(a) or True,
        year=a.year,
        decision_number=a.decision_number,
    )


def _title_name(title: AwardKind) -> str:
    return AWARD_NAMES_VI[title]


def _titles_name(titles: tuple[AwardKind, ...]) -> str:
    """«A» or, when other awards count as it, «A» hoặc «B»."""
    return "» hoặc «".join(AWARD_NAMES_VI[t] for t in titles)


class _Ctx:
    def __init__(
        self, record: NomineeRecord, year: int, rule: AwardRule, vote: VoteResult | None
    ) -> None:
        self.record = record
        self.year = year
        self.rule = rule
        self.vote = vote
        self._inherited: Citation | None = None  # citation of the enclosing any_of/all_of

    # -- helpers over the record -------------------------------------------------------

    @property
    def person(self) -> IndividualRecord:
        if not isinstance(self.record, IndividualRecord):
            raise TypeError("this condition applies to individuals only")
        return self.record

    @property
    def unit(self) -> UnitRecord:
        if not isinstance(self.record, UnitRecord):
            raise TypeError("this condition applies to collectives only")
        return self.record

    def _titles(self, titles: tuple[AwardKind, ...], year: int) -> list[AwardRecord]:
        return [a for t in titles for a in self.record.awards_of(t, year)]

    def _result(
        self,
        cond: Condition,
        outcome: Outcome,
        evidence: list[Fact],
        vi: str,
        en: str,
        children: list[CriterionResult] | None = None,
    ) -> CriterionResult:
        return CriterionResult(
            id=cond.id,
            kind=cond.kind,
            citation=cond.citation or self._inherited or self.rule.citation,
            outcome=outcome,
            evidence=evidence,
            message_vi=vi,
            message_en=en,
            children=children or [],
        )

    # -- dispatch -------------------------------------------------------------------------

    def evaluate(self, cond: Condition) -> CriterionResult:
        match cond:
            case RatingAtLeast():
                return self._rating_at_least(cond)
            case ConsecutiveRatings():
                return self._consecutive_ratings(cond)
            case ConsecutiveTitles():
                return self._consecutive_titles(cond)
            case TitlesWithin():
                return self._titles_within(cond)
            case Initiatives():
                return self._initiatives(cond)
            case NoDisciplineInYear():
                return self._no_discipline(cond)
            case NotPendingInspection():
                return self._not_pending(cond)
            case MonthsWorkedAtLeast():
                return self._months_worked(cond)
            case MemberShareWithTitle():
                return self._member_share(cond)
            case AllMembersComplete():
                return self._all_members_complete(cond)
            case MembersWithTitleAtLeast():
                return self._members_with_title(cond)
            case NoMemberDisciplineAtLeast():
                return self._no_member_discipline(cond)
            case LedEmulationCluster():
                return self._led_cluster(cond)
            case BallotShareOfAllMembersAtLeast():
                return self._ballot(cond)
            case AnyOf() | AllOf():
                return self._group(cond)
        raise TypeError(f"unknown condition {cond!r}")  # pragma: no cover - closed union

    # -- condition kinds ----------------------------------------------------------------

    def _rating_facts(self, years: range) -> list[Fact]:
        facts: list[Fact] = []
        for y in years:
            rating = self.record.rating_in(y)
            facts.append(Fact(key="rating", value=rating.value if rating else None, year=y))
        return facts

    def _rating_at_least(self, c: RatingAtLeast) -> CriterionResult:
        years = range(self.year - c.years + 1, self.year + 1)
        facts = self._rating_facts(years)
        short = [y for y in years if not _rated_at_least(self.record.rating_in(y), c.level)]
        ok = not short
        v_vi, v_en = _verdict(ok)
        span = f"{years[0]}–{years[-1]}" if c.years > 1 else str(self.year)
        vi = f"Xếp loại từ «{c.level.label_vi}» trở lên năm {span}: {v_vi}"
        en = f"Rated at least {c.level.value} in {span}: {v_en}"
        if short:
            vi += f" (không đạt các năm {', '.join(map(str, short))})"
            en += f" (short in {', '.join(map(str, short))})"
        return self._result(c, _ok(ok), facts, vi, en)

    def _consecutive_ratings(self, c: ConsecutiveRatings) -> CriterionResult:
        run = 0
        while _rated_at_least(self.record.rating_in(self.year - run), c.level):
            run += 1
        years = range(self.year - max(c.n, run) + 1, self.year + 1)
        facts = self._rating_facts(years)
        facts.append(Fact(key="consecutive_years", value=run))
        ok = run >= c.n
        v_vi, v_en = _verdict(ok)
        vi = (
            f"{c.n} năm liên tục «{c.level.label_vi}» trở lên đến năm {self.year}: "
            f"có {run} năm liên tục, {v_vi}"
        )
        en = (
            f"{c.n} consecutive years rated at least {c.level.value} up to {self.year}: "
            f"{run} consecutive, {v_en}"
        )
        if not ok:
            gap = self.year - run
            vi += f" (đứt quãng năm {gap})"
            en += f" (broken in {gap})"
        return self._result(c, _ok(ok), facts, vi, en)

    def _consecutive_titles(self, c: ConsecutiveTitles) -> CriterionResult:
        run = 0
        while self._titles(c.titles, self.year - run):
            run += 1
        facts: list[Fact] = []
        for y in range(self.year - max(c.n, run) + 1, self.year + 1):
            held = self._titles(c.titles, y)
            if held:
                facts.extend(_held(a) for a in held)
            else:
                facts.append(Fact(key=c.title.value, value=False, year=y))
        facts.append(Fact(key="consecutive_years", value=run))
        ok = run >= c.n
        v_vi, v_en = _verdict(ok)
        name = _titles_name(c.titles)
        vi = f"{c.n} năm liên tục đạt «{name}» đến năm {self.year}: có {run} năm liên tục, {v_vi}"
        en = f"{c.title.value} {c.n} years in a row up to {self.year}: {run} in a row, {v_en}"
        if not ok:
            gap = self.year - run
            vi += f" (không có danh hiệu năm {gap})"
            en += f" (missing in {gap})"
        return self._result(c, _ok(ok), facts, vi, en)

    def _titles_within(self, c: TitlesWithin) -> CriterionResult:
        first = self.year - c.within_years + 1 if c.within_years else None
        held = sorted(
            (
                a
                for a in self.record.awards
                if a.award in c.titles
                and a.year <= self.year
                and (first is None or a.year >= first)
            ),
            key=lambda a: a.year,
        )
        facts = [_held(a) for a in held]
        facts.append(Fact(key="count", value=len(held)))
        ok = len(held) >= c.count
        v_vi, v_en = _verdict(ok)
        span_vi = f"trong {c.within_years} năm gần nhất" if c.within_years else "đến nay"
        span_en = f"in the last {c.within_years} years" if c.within_years else "so far"
        name = _titles_name(c.titles)
        vi = f"Đã được tặng «{name}» ít nhất {c.count} lần {span_vi}: có {len(held)}, {v_vi}"
        en = f"{c.title.value} at least {c.count} times {span_en}: {len(held)}, {v_en}"
        return self._result(c, _ok(ok), facts, vi, en)

    def _initiatives(self, c: Initiatives) -> CriterionResult:
        first = self.year - c.within_years + 1
        found = sorted(
            (
                i
                for i in self.person.initiatives
                if first <= i.year <= self.year
                and i.scope.at_least(c.scope_at_least)
                and (i.accepted_and_applied or not c.applied_required)
            ),
            key=lambda i: (i.year, i.id),
        )
        facts = [
            Fact(
                key=f"{i.kind.value}:{i.id}",
                value=f"{i.title} — {i.scope.value}, {i.recognised_by}",
                year=i.year,
                decision_number=i.decision_number,
            )
            for i in found
        ]
        facts.append(Fact(key="count", value=len(found)))
        ok = len(found) >= c.count
        v_vi, v_en = _verdict(ok)
        span = f"{first}–{self.year}" if c.within_years > 1 else str(self.year)
        vi = (
            f"Ít nhất {c.count} sáng kiến/đề tài phạm vi {c.scope_at_least.label_vi} trở lên, "
            f"năm {span}: có {len(found)}, {v_vi}"
        )
        en = (
            f"At least {c.count} initiative(s)/research of scope {c.scope_at_least.value} "
            f"or wider in {span}: {len(found)}, {v_en}"
        )
        return self._result(c, _ok(ok), facts, vi, en)

    def _no_discipline(self, c: NoDisciplineInYear) -> CriterionResult:
        hits = [
            d for d in self.person.disciplines_in(self.year) if d.level.at_least(c.level_at_least)
        ]
        facts = [
            Fact(
                key="discipline",
                value=d.level.value,
                year=d.year,
                decision_number=d.decision_number,
            )
            for d in hits
        ]
        ok = not hits
        v_vi, v_en = _verdict(ok)
        vi = f"Không bị kỷ luật trong năm {self.year}: {v_vi}"
        en = f"No discipline in {self.year}: {v_en}"
        return self._result(c, _ok(ok), facts, vi, en)

    def _not_pending(self, c: NotPendingInspection) -> CriterionResult:
        open_ = self.record.open_matters()
        facts = [
            Fact(key=f"pending_{p.kind.value}", value=p.reference, year=p.opened_on.year)
            for p in open_
        ]
        if open_:
            refs = ", ".join(p.reference for p in open_)
            vi = f"Đang bị xem xét kỷ luật/thanh tra ({refs}): tạm hoãn xét khen thưởng"
            en = f"Discipline or inspection pending ({refs}): on hold"
            return self._result(c, Outcome.ON_HOLD, facts, vi, en)
        vi = "Không đang bị xem xét kỷ luật, thanh tra, điều tra: đạt"
        en = "No pending discipline, inspection or investigation: met"
        return self._result(c, Outcome.PASSED, facts, vi, en)

    def _months_worked(self, c: MonthsWorkedAtLeast) -> CriterionResult:
        wy = self.person.work_year(self.year)
        if wy is None:
            vi = f"Không có dữ liệu thời gian công tác năm {self.year}: không đạt"
            en = f"No record of time worked in {self.year}: not met"
            return self._result(c, Outcome.FAILED, [], vi, en)
        facts = [Fact(key="months_on_duty", value=wy.months_on_duty, year=self.year)]
        facts.extend(
            Fact(key=f"leave:{lv.kind.value}", value=lv.months, year=self.year) for lv in wy.leave
        )
        facts.append(Fact(key="months_counted", value=wy.months_counted, year=self.year))
        ok = wy.months_counted >= c.months
        v_vi, v_en = _verdict(ok)
        vi = (
            f"Thời gian công tác năm {self.year} (tính cả nghỉ thai sản, tai nạn lao động, "
            f"đi học được cử): {wy.months_counted} tháng, yêu cầu ≥ {c.months}: {v_vi}"
        )
        en = (
            f"Time worked in {self.year} (maternity, work injury and sanctioned training "
            f"count): {wy.months_counted} months, needs ≥ {c.months}: {v_en}"
        )
        return self._result(c, _ok(ok), facts, vi, en)

    def _member_share(self, c: MemberShareWithTitle) -> CriterionResult:
        members = self.unit.members
        holders = [m for m in members if m.awards_of(c.title, self.year)]
        awaiting = sorted(
            a.awaiting_decision
            for m in holders
            for a in m.awards_of(c.title, self.year)
            if a.awaiting_decision
            and not any(b.decision_number for b in m.awards_of(c.title, self.year))
        )
        total = len(members)
        ok = total > 0 and Fraction(len(holders), total) * 100 >= Fraction(c.pct)
        share = _pct(len(holders), total)
        facts = [
            Fact(key="members_total", value=total, year=self.year),
            Fact(key=f"members_{c.title.value}", value=len(holders), year=self.year),
            Fact(key="share_pct", value=share, year=self.year),
            Fact(key="required_pct", value=c.pct),
        ]
        if awaiting:
            facts.append(Fact(key="awaiting_decision", value=", ".join(awaiting), year=self.year))
        v_vi, v_en = _verdict(ok)
        name = _title_name(c.title)
        vi = (
            f"{len(holders)}/{total} thành viên đạt «{name}» năm {self.year} ({share}%), "
            f"yêu cầu ≥ {c.pct}%: {v_vi}"
        )
        en = (
            f"{len(holders)} of {total} members hold {c.title.value} in {self.year} "
            f"({share}%), needs ≥ {c.pct}%: {v_en}"
        )
        return self._result(c, _ok(ok), facts, vi, en)

    def _all_members_complete(self, c: AllMembersComplete) -> CriterionResult:
        members = self.unit.members
        short = [
            m for m in members if not _rated_at_least(m.rating_in(self.year), TaskRating.HOAN_THANH)
        ]
        facts = [Fact(key="members_total", value=len(members), year=self.year)]
        facts.extend(
            Fact(
                key=f"member:{m.person.id}",
                value=(r.value if (r := m.rating_in(self.year)) else None),
                year=self.year,
            )
            for m in short
        )
        ok = bool(members) and not short
        v_vi, v_en = _verdict(ok)
        vi = (
            f"100% thành viên hoàn thành nhiệm vụ năm {self.year}: "
            f"{len(members) - len(short)}/{len(members)}, {v_vi}"
        )
        en = (
            f"All members complete their tasks in {self.year}: "
            f"{len(members) - len(short)} of {len(members)}, {v_en}"
        )
        return self._result(c, _ok(ok), facts, vi, en)

    def _members_with_title(self, c: MembersWithTitleAtLeast) -> CriterionResult:
        facts: list[Fact] = []
        for m in self.unit.members:
            for a in m.awards_of(c.title, self.year):
                facts.append(
                    Fact(
                        key=f"member:{m.person.id}",
                        value=_awaiting(a) or c.title.value,
                        year=self.year,
                        decision_number=a.decision_number,
                    )
                )
        count = len({f.key for f in facts})
        facts.append(Fact(key="count", value=count, year=self.year))
        ok = count >= c.n
        v_vi, v_en = _verdict(ok)
        name = _title_name(c.title)
        vi = f"Ít nhất {c.n} thành viên đạt «{name}» năm {self.year}: có {count}, {v_vi}"
        en = f"At least {c.n} member(s) hold {c.title.value} in {self.year}: {count}, {v_en}"
        return self._result(c, _ok(ok), facts, vi, en)

    def _no_member_discipline(self, c: NoMemberDisciplineAtLeast) -> CriterionResult:
        facts = [
            Fact(
                key=f"member:{m.person.id}",
                value=d.level.value,
                year=d.year,
                decision_number=d.decision_number,
            )
            for m in self.unit.members
            for d in m.disciplines_in(self.year)
            if d.level.at_least(c.level)
        ]
        ok = not facts
        v_vi, v_en = _verdict(ok)
        vi = f"Không có thành viên bị kỷ luật từ «{c.level.value}» trở lên năm {self.year}: {v_vi}"
        en = f"No member disciplined at {c.level.value} or heavier in {self.year}: {v_en}"
        return self._result(c, _ok(ok), facts, vi, en)

    def _led_cluster(self, c: LedEmulationCluster) -> CriterionResult:
        unit = self.unit
        in_year = sorted((k for k in unit.clusters if k.year == self.year), key=lambda k: k.id)
        led = [k for k in in_year if k.led_by(unit.id)]
        facts: list[Fact] = []
        for k in led or in_year:
            facts.append(Fact(key=f"cluster:{k.id}", value=k.name, year=k.year))
            facts.append(Fact(key="member", value=unit.id in k.members, year=k.year))
            facts.append(Fact(key="leaders", value=", ".join(k.leaders) or None, year=k.year))
            facts.append(Fact(key="meeting_reference", value=k.meeting_reference, year=k.year))
            facts.append(
                Fact(
                    key="meeting_on",
                    value=k.meeting_on.isoformat() if k.meeting_on else None,
                    year=k.year,
                )
            )
        if led:
            names = ", ".join(f"«{k.name}» ({k.meeting_reference})" for k in led)
            vi = f"Được cụm, khối thi đua suy tôn dẫn đầu năm {self.year}: {names}, đạt"
            en = f"Proposed as leading collective of its cluster in {self.year}: {names}, met"
            return self._result(c, Outcome.PASSED, facts, vi, en)
        vi, en = self._not_led_reason(in_year)
        other = sorted({k.year for k in unit.clusters if k.led_by(unit.id)} - {self.year})
        if other:
            facts.append(Fact(key="led_in_years", value=", ".join(map(str, other))))
            vi += f" (chỉ dẫn đầu cụm năm {', '.join(map(str, other))})"
            en += f" (led its cluster only in {', '.join(map(str, other))})"
        prefix_vi = f"Được cụm, khối thi đua suy tôn dẫn đầu năm {self.year}: không đạt — "
        prefix_en = f"Proposed as leading collective of its cluster in {self.year}: not met — "
        return self._result(c, Outcome.FAILED, facts, prefix_vi + vi, prefix_en + en)

    def _not_led_reason(self, in_year: list[EmulationCluster]) -> tuple[str, str]:
        unit = self.unit
        outside = [k for k in in_year if unit.id in k.leaders and unit.id not in k.members]
        if outside:
            ids = ", ".join(k.id for k in outside)
            return (
                f"được nêu dẫn đầu cụm {ids} nhưng không là thành viên cụm năm {self.year}",
                f"named leader of {ids} but not a member of it in {self.year}",
            )
        member_of = [k for k in in_year if unit.id in k.members]
        if not member_of:
            return (
                f"không là thành viên cụm, khối thi đua nào năm {self.year}",
                f"not a member of any emulation cluster in {self.year}",
            )
        proposed = [k for k in member_of if k.leaders]
        if not proposed:
            ids = ", ".join(k.id for k in member_of)
            return (
                f"cụm {ids} chưa có biên bản suy tôn đơn vị dẫn đầu năm {self.year}",
                f"cluster {ids} has not proposed its leading collective for {self.year}",
            )
        others = "; ".join(f"{k.id}: {', '.join(k.leaders)}" for k in proposed)
        return (
            f"cụm suy tôn đơn vị khác dẫn đầu ({others})",
            f"the cluster proposed other collectives ({others})",
        )

    def _ballot(self, c: BallotShareOfAllMembersAtLeast) -> CriterionResult:
        if self.vote is None:
            vi = (
                f"Chưa có kết quả bỏ phiếu kín của Hội đồng (yêu cầu ≥ {c.pct}% tổng số thành viên)"
            )
            en = f"No council ballot yet (needs ≥ {c.pct}% of all members)"
            facts = [Fact(key="required_pct", value=c.pct)]
            return self._result(c, Outcome.AWAITING_VOTE, facts, vi, en)
        v = tally_result(self.vote.members_total, self.vote.present, self.vote.votes_for, c.pct)
        facts = [
            Fact(key="members_total", value=v.members_total),
            Fact(key="members_present", value=v.present),
            Fact(key="votes_for", value=v.votes_for),
            Fact(key="quorum_met", value=v.quorum_met),
            Fact(key="share_of_all_pct", value=v.share_of_all_pct),
            Fact(key="required_pct", value=c.pct),
        ]
        if not v.valid:
            return self._result(c, Outcome.AWAITING_VOTE, facts, v.message_vi, v.message_en)
        return self._result(c, _ok(v.passed), facts, v.message_vi, v.message_en)

    def _group(self, c: AnyOf | AllOf) -> CriterionResult:
        outer = self._inherited
        self._inherited = c.citation or outer
        try:
            children = [self.evaluate(sub) for sub in c.conditions]
        finally:
            self._inherited = outer
        outcomes = [ch.outcome for ch in children]
        if isinstance(c, AnyOf):
            outcome = _combine_any(outcomes)
            vi, en = "Đạt một trong các điều kiện", "One of the conditions"
        else:
            outcome = _combine_all(outcomes)
            vi, en = "Đạt tất cả các điều kiện", "All of the conditions"
        met = sum(o == Outcome.PASSED for o in outcomes)
        v_vi, v_en = _verdict(outcome == Outcome.PASSED)
        vi = f"{vi}: {met}/{len(children)} đạt, {v_vi}"
        en = f"{en}: {met} of {len(children)} met, {v_en}"
        return self._result(c, outcome, [], vi, en, children)


def _rated_at_least(rating: TaskRating | None, level: TaskRating) -> bool:
    return rating is not None and rating.at_least(level)
