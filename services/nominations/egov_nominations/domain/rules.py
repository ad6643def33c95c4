"""The award criteria as versioned data: rule sets, award rules and condition kinds.

A rule set carries the date it takes effect and one rule per award and nominee kind; each
rule cites its legal basis and lists its conditions. The engine only knows the condition
kinds below, so a new legal text is a new data file, not new code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from typing import Annotated, Literal

from egov_contracts import nominations as contract
from pydantic import BaseModel, ConfigDict, Field, model_validator

from egov_nominations.domain.register import (
    AwardKind,
    DisciplineLevel,
    NomineeKind,
    Scope,
    TaskRating,
)

Pct = Annotated[Decimal, Field(ge=0, le=100)]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecidingLevel(StrEnum):
    """Who decides: the contract's levels and `district`, which exists only in rule sets before
    the 2025 two-level reform. The published contract does not gain it (a widened enum in a
    published type breaks its existing readers), so a level leaves the service through
    ``published()``."""

    COMMUNE = "commune"
    DISTRICT = "district"
    DEPARTMENT = "department"
    PROVINCE = "province"
    CENTRAL = "central"

    def published(self) -> contract.DecidingLevel:
        """The level as the events publish it: a pre-reform district decided as the
        department-level authority of its area."""
        if self is DecidingLevel.DISTRICT:
            return contract.DecidingLevel.DEPARTMENT
        return contract.DecidingLevel(self.value)


class Citation(_Data):
    """Legal basis of a rule or condition — căn cứ pháp lý."""

    document: str = Field(min_length=1, max_length=120, description="e.g. Luật 06/2022/QH15")
    article: int = Field(ge=1)
    clause: int | None = Field(None, ge=1)
    point: str | None = Field(None, max_length=4)
    needs_legal_check: bool = False
    note: str | None = Field(None, max_length=500)

    def __str__(self) -> str:
        parts = []
        if self.point:
            parts.append(f"điểm {self.point}")
        if self.clause:
            parts.append(f"khoản {self.clause}")
        parts.append(f"Điều {self.article}")
        return f"{' '.join(parts)} {self.document}"


class _Condition(_Data):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    citation: Citation | None = Field(None, description="When it differs from the rule's")


class RatingAtLeast(_Condition):
    """The nominee's own rating is at least `level` in each of the last `years` years."""

    kind: Literal["rating_at_least"] = "rating_at_least"
    level: TaskRating
    years: int = Field(1, ge=1, le=30)


class ConsecutiveRatings(_Condition):
    """A run of `n` consecutive years rated at least `level` ends in the achievement year."""

    kind: Literal["consecutive_ratings"] = "consecutive_ratings"
    level: TaskRating
    n: int = Field(ge=1, le=30)


class _TitleCondition(_Condition):
    title: AwardKind
    counts_also: list[AwardKind] = Field(
        default_factory=list,
        description="Awards that count as `title` (e.g. a ministry's Bằng khen for a"
        " prerequisite named «Bằng khen cấp bộ, ban, ngành, tỉnh»)",
    )

    @property
    def titles(self) -> tuple[AwardKind, ...]:
        return (self.title, *self.counts_also)


class ConsecutiveTitles(_TitleCondition):
    """The title was conferred in each of `n` consecutive years ending in the achievement year."""

    kind: Literal["consecutive_titles"] = "consecutive_titles"
    n: int = Field(ge=1, le=30)


class TitlesWithin(_TitleCondition):
    """The title was conferred at least `count` times in the last `within_years` years
    (`None`: ever, up to the achievement year)."""

    kind: Literal["titles_within"] = "titles_within"
    count: int = Field(1, ge=1, le=30)
    within_years: int | None = Field(None, ge=1, le=50)


class Initiatives(_Condition):
    """At least `count` initiatives or research works of scope ≥ `scope_at_least`, recognised
    in the last `within_years` years, and (if required) accepted and applied."""

    kind: Literal["initiatives"] = "initiatives"
    count: int = Field(1, ge=1, le=20)
    scope_at_least: Scope = Scope.UNIT
    within_years: int = Field(1, ge=1, le=30)
    applied_required: bool = True


class NoDisciplineInYear(_Condition):
    """No discipline at `level_at_least` or heavier in the achievement year."""

    kind: Literal["no_discipline_in_year"] = "no_discipline_in_year"
    level_at_least: DisciplineLevel = DisciplineLevel.KHIEN_TRACH


class NotPendingInspection(_Condition):
    """No open discipline, inspection or investigation; otherwise the file is on hold."""

    kind: Literal["not_pending_inspection"] = "not_pending_inspection"


class MonthsWorkedAtLeast(_Condition):
    """Time worked in the year, counting the leave that counts as worked."""

    kind: Literal["months_worked_at_least"] = "months_worked_at_least"
    months: Decimal = Field(Decimal(6), ge=0, le=12)


class MemberShareWithTitle(_Condition):
    """At least `pct` % of the unit's members hold `title` in the achievement year (`pct`
    from the rule set's `setting` when one is named)."""

    kind: Literal["member_share_with_title"] = "member_share_with_title"
    title: AwardKind
    pct: Pct
    setting: str | None = Field(None, description="The rule set's setting `pct` comes from")


class AllMembersComplete(_Condition):
    """Every member is rated at least `hoàn thành nhiệm vụ` in the achievement year."""

    kind: Literal["all_members_complete"] = "all_members_complete"


class MembersWithTitleAtLeast(_Condition):
    """At least `n` members hold `title` in the achievement year."""

    kind: Literal["members_with_title_at_least"] = "members_with_title_at_least"
    title: AwardKind
    n: int = Field(ge=1)


class NoMemberDisciplineAtLeast(_Condition):
    """No member disciplined at `level` or heavier in the achievement year."""

    kind: Literal["no_member_discipline_at_least"] = "no_member_discipline_at_least"
    level: DisciplineLevel


class LedEmulationCluster(_Condition):
    """The emulation cluster proposed the unit as its leading collective for the year."""

    kind: Literal["led_emulation_cluster"] = "led_emulation_cluster"


class BallotShareOfAllMembersAtLeast(_Condition):
    """Secret ballot: votes for ≥ `pct` % of ALL council members (not of those present)."""

    kind: Literal["ballot_share_of_all_members_at_least"] = "ballot_share_of_all_members_at_least"
    pct: Pct
    setting: str | None = Field(None, description="The rule set's setting `pct` comes from")


class AnyOf(_Condition):
    kind: Literal["any_of"] = "any_of"
    conditions: list[Condition] = Field(min_length=1)


class AllOf(_Condition):
    kind: Literal["all_of"] = "all_of"
    conditions: list[Condition] = Field(min_length=1)


Condition = Annotated[
    RatingAtLeast
    | ConsecutiveRatings
    | ConsecutiveTitles
    | TitlesWithin
    | Initiatives
    | NoDisciplineInYear
    | NotPendingInspection
    | MonthsWorkedAtLeast
    | MemberShareWithTitle
    | AllMembersComplete
    | MembersWithTitleAtLeast
    | NoMemberDisciplineAtLeast
    | LedEmulationCluster
    | BallotShareOfAllMembersAtLeast
    | AnyOf
    | AllOf,
    Field(discriminator="kind"),
]

AnyOf.model_rebuild()
AllOf.model_rebuild()

_COLLECTIVE_ONLY = (
    MemberShareWithTitle,
    AllMembersComplete,
    MembersWithTitleAtLeast,
    NoMemberDisciplineAtLeast,
    LedEmulationCluster,
)
_INDIVIDUAL_ONLY = (NoDisciplineInYear, MonthsWorkedAtLeast, Initiatives)


def walk(conditions: Iterable[Condition]) -> Iterable[Condition]:
    """Every condition, nested ones included, depth first."""
    for c in conditions:
        yield c
        if isinstance(c, AnyOf | AllOf):
            yield from walk(c.conditions)


class AwardRule(_Data):
    """The criteria of one award for one kind of nominee; all conditions must pass."""

    award: AwardKind
    nominee: NomineeKind
    name_vi: str = Field(min_length=1, max_length=200)
    citation: Citation
    deciding_levels: list[DecidingLevel] = Field(min_length=1)
    conditions: list[Condition] = Field(min_length=1)

    @model_validator(mode="after")
    def _conditions_fit(self) -> AwardRule:
        ids = [c.id for c in walk(self.conditions)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"{self.award}/{self.nominee}: duplicate condition ids {dupes}")
        wrong = _COLLECTIVE_ONLY if self.nominee == NomineeKind.INDIVIDUAL else _INDIVIDUAL_ONLY
        bad = [c.id for c in walk(self.conditions) if isinstance(c, wrong)]
        if bad:
            raise ValueError(f"{self.award}/{self.nominee}: conditions {bad} do not fit")
        ballots = [
            c for c in walk(self.conditions) if isinstance(c, BallotShareOfAllMembersAtLeast)
        ]
        if len(ballots) > 1:
            raise ValueError(f"{self.award}/{self.nominee}: more than one ballot threshold")
        return self

    @property
    def ballot_threshold_pct(self) -> Decimal | None:
        """The council's required share of all members, if this award is voted on."""
        for c in walk(self.conditions):
            if isinstance(c, BallotShareOfAllMembersAtLeast):
                return c.pct
        return None


class Setting(_Data):
    """A threshold the law leaves to the province (or ministry): the value this rule set
    applies, the default, and where the law says so. `None` turns the condition off (e.g. no
    ballot share required for Lao động tiên tiến unless the province sets one)."""

    value: Pct | None
    default: Pct | None
    description_vi: str = Field(min_length=1, max_length=300)
    citation: Citation


def _apply_settings(
    conditions: list[dict[str, object]], settings: dict[str, object]
) -> list[dict[str, object]]:
    out = []
    for cond in conditions:
        cond = dict(cond)
        name = cond.get("setting")
        if isinstance(name, str):
            setting = settings.get(name)
            if not isinstance(setting, dict):
                raise ValueError(f"condition {cond.get('id')}: unknown setting {name!r}")
            if setting.get("value") is None:
                continue  # the province requires nothing here
            cond["pct"] = setting["value"]
        inner = cond.get("conditions")
        if isinstance(inner, list):
            cond["conditions"] = _apply_settings(inner, settings)
        out.append(cond)
    return out


class RuleSet(_Data):
    """The criteria in force from `effective_from` until the next set takes effect
    (`effective_until`, when a later set has been published, is informative)."""

    id: str = Field(min_length=1, max_length=64)
    effective_from: date
    title: str = Field(min_length=1, max_length=300)
    legal_basis: list[str] = Field(min_length=1)
    settings: dict[str, Setting] = Field(default_factory=dict)
    rules: list[AwardRule] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _resolve_settings(cls, data: object) -> object:
        """A condition naming a setting takes its threshold from it (data, not code)."""
        if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
            return data
        settings = data["settings"]
        rules = []
        for rule in data.get("rules", []):
            if isinstance(rule, dict) and isinstance(rule.get("conditions"), list):
                rule = {**rule, "conditions": _apply_settings(rule["conditions"], settings)}
            rules.append(rule)
        return {**data, "rules": rules}

    @model_validator(mode="after")
    def _one_rule_per_award(self) -> RuleSet:
        keys = [(r.award, r.nominee) for r in self.rules]
        if len(keys) != len(set(keys)):
            raise ValueError(f"rule set {self.id}: more than one rule for an award and nominee")
        return self

    def rule_for(self, award: AwardKind, nominee: NomineeKind) -> AwardRule:
        for r in self.rules:
            if r.award == award and r.nominee == nominee:
                return r
        raise UnknownAward(f"rule set {self.id} has no rule for {award} ({nominee})")


class UnknownAward(LookupError):
    """No rule for this award and nominee kind in the rule set."""


class NoRuleSetInForce(LookupError):
    """No rule set was in force on the date asked for."""


class RuleBook:
    """All rule sets, ordered by effective date; picks the one in force."""

    def __init__(self, rule_sets: Iterable[RuleSet]) -> None:
        ordered = sorted(rule_sets, key=lambda s: s.effective_from)
        dates = [s.effective_from for s in ordered]
        if len(dates) != len(set(dates)):
            raise ValueError("two rule sets take effect on the same date")
        if not ordered:
            raise ValueError("a rule book needs at least one rule set")
        self._sets = tuple(ordered)

    @property
    def rule_sets(self) -> tuple[RuleSet, ...]:
        return self._sets

    def ruleset_for(self, when: int | date) -> RuleSet:
        """The set in force on a date; for an achievement year, the set in force at the end
        of that year, when the year-end review judges it."""
        on = date(when, 12, 31) if isinstance(when, int) else when
        in_force = [s for s in self._sets if s.effective_from <= on]
        if not in_force:
            raise NoRuleSetInForce(f"no rule set in force on {on.isoformat()}")
        return in_force[-1]


def parse_rule_set(text: str | bytes) -> RuleSet:
    """Validate one rule set from its JSON text."""
    return RuleSet.model_validate(json.loads(text))


def bundled_rule_book() -> RuleBook:
    """The rule sets shipped with the service, under `domain/rulesets/*.json`."""
    folder = resources.files("egov_nominations.domain").joinpath("rulesets")
    sets = [
        parse_rule_set(entry.read_bytes())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return RuleBook(sets)
