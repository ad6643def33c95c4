"""The services' HTTP APIs, called with the signed-in person's own bearer token: the console
holds no business data and sees exactly what the person may see (unit scope is the services'
decision, end to end)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import httpx


class ApiError(Exception):
    """A service answered with an error (``status`` 0: it could not be reached)."""

    def __init__(self, service: str, status: int, detail: str) -> None:
        super().__init__(f"{service}: {status} {detail}")
        self.service = service
        self.status = status
        self.detail = detail


CACHE_ENTRIES = 2000


class ServiceApis:
    def __init__(self, urls: Mapping[str, str], client: httpx.AsyncClient) -> None:
        self.urls = dict(urls)
        self.client = client
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()

    async def get_kept(
        self,
        service: str,
        path: str,
        token: str,
        params: Mapping[str, Any],
        keep_for: Callable[[Any], float],
    ) -> Any:
        """GET, answering from memory when the same token asked the same within the time
        ``keep_for(answer)`` gave (0: not kept). Keyed by the token, so an answer is only ever
        reused for the person (and scope) it was given to."""
        key = (service, path, token, tuple(sorted((k, str(v)) for k, v in params.items())))
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        answer = await self.get(service, path, token, params)
        seconds = keep_for(answer)
        if seconds > 0:
            self._cache[key] = (now + seconds, answer)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return answer

    def url(self, service: str) -> str:
        return self.urls[service].rstrip("/")

    async def get(
        self,
        service: str,
        path: str,
        token: str | None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """GET a JSON document; raises :class:`ApiError` on an error answer."""
        response = await self.raw(service, path, token, params)
        return response.json()

    async def post(self, service: str, path: str, token: str, json: Any = None) -> Any:
        """POST as the person (an action they may take, e.g. re-enable an endpoint)."""
        if service not in self.urls:
            raise ApiError(service, 0, "không có trong cấu hình của bảng điều khiển")
        try:
            response = await self.client.post(
                f"{self.url(service)}{path}",
                json=json,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise ApiError(service, 0, f"không kết nối được ({exc.__class__.__name__})") from exc
        if response.status_code >= 400:
            raise ApiError(service, response.status_code, response.text[:300])
        return response.json()

    async def raw(
        self,
        service: str,
        path: str,
        token: str | None,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        if service not in self.urls:
            raise ApiError(service, 0, "không có trong cấu hình của bảng điều khiển")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.client.get(
                f"{self.url(service)}{path}", params=clean, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiError(service, 0, f"không kết nối được ({exc.__class__.__name__})") from exc
        if response.status_code not in ok:
            detail = response.text[:300]
            try:
                body = response.json()
                if isinstance(body, dict):
                    detail = str(body.get("detail") or body.get("title") or detail)
            except ValueError:
                pass
            raise ApiError(service, response.status_code, detail)
        return response
