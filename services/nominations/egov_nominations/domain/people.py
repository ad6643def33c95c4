"""A person's task rating for a year as the register keeps it: the rating, the unit it was
given in, the time worked, and where it came from (the API or an imported spreadsheet)."""

from __future__ import annotations

from dataclasses import dataclass

from egov_nominations.domain.register import TaskRating, WorkYear


@dataclass(frozen=True)
class RatedYear:
    person_id: str
    unit_code: str
    rating: TaskRating
    work: WorkYear
    source: str = "api"

    @property
    def year(self) -> int:
        return self.work.year
