"""One way to page every list of every service.

A list endpoint takes ``limit`` (default 50, at most 500) and ``offset`` (default 0) and answers

    {"items": [...], "total": N, "limit": 50, "offset": 0, "next": "<URL of the next page>"}

``total`` counts every item the filters match; ``next`` is the same request with the offset of
the following page, or ``null`` on the last page. A client follows ``next`` until it is null
(an endpoint that pages by cursor puts its cursor in ``next`` the same way, so clients need not
know which). Filters with a fixed set of values are ``Literal``/``Enum`` query parameters: an
unknown value is a 422 naming the allowed ones.

Usage::

    @router.get("/things")
    async def things(request: Request, page: PageQuery) -> Page:
        rows, total = await store.things(conn, limit=page.limit, offset=page.offset)
        return page.of(rows, total)

or, for a short list held in memory, ``page.slice(all_rows)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from egov_runtime.edge import Offset

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel):
    """A page of a list: its items, how many match in all, and the link to the next page. A
    list that belongs to something (a unit's values for a period) says so in extra fields."""

    model_config = ConfigDict(extra="allow")

    items: list[dict[str, Any]]
    total: int = Field(ge=0, description="Every item the filters match, on all pages")
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0)
    next: str | None = Field(description="URL of the next page; null on the last page")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int
    request: Request | None = None

    def next_url(self, total: int) -> str | None:
        following = self.offset + self.limit
        if following >= total or self.request is None:
            return None
        return str(self.request.url.include_query_params(limit=self.limit, offset=following))

    def of(self, items: Sequence[Mapping[str, Any]], total: int, **about: Any) -> Page:
        """The page from the items of this page and the count of all matching items;
        ``about``: what the list belongs to (extra fields beside the items)."""
        return Page(
            **about,
            items=[dict(i) for i in items],
            total=total,
            limit=self.limit,
            offset=self.offset,
            next=self.next_url(total),
        )

    async def fetch(self, conn: Any, query: str, *args: Any, order_by: str) -> Page:
        """The page of a SQL query's rows: ``query`` selects every matching row (no ORDER BY,
        LIMIT or OFFSET), ``order_by`` names its output columns to sort by (the last one
        should be unique, so pages neither overlap nor skip)."""
        n = len(args)
        rows = await conn.fetch(
            f"SELECT *, count(*) OVER () AS _total FROM ({query}) AS _q"
            f" ORDER BY {order_by} LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            self.limit,
            self.offset,
        )
        if rows:
            total = rows[0]["_total"]
        else:  # past the end (or nothing matches): count apart
            total = await conn.fetchval(f"SELECT count(*) FROM ({query}) AS _q", *args)
        items = [{k: v for k, v in r.items() if k != "_total"} for r in rows]
        return self.of(items, total)

    def slice(self, everything: Sequence[Mapping[str, Any]], **about: Any) -> Page:
        """The page cut from a complete list held in memory (short reference lists)."""
        page = everything[self.offset : self.offset + self.limit]
        return self.of(page, len(everything), **about)


def page_request(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, request=request)


PageQuery = Annotated[PageRequest, Depends(page_request)]
