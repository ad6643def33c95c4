"""The services' HTTP APIs, called with the signed-in person's own bearer token: the console
holds no business data and sees exactly what the person may see (unit scope is the services'
decision, end to end)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class ApiError(Exception):
    """A service answered with an error (``status`` 0: it could not be reached)."""

    def __init__(self, service: str, status: int, detail: str) -> None:
        super().__init__(f"{service}: {status} {detail}")
        self.service = service
        self.status = status
        self.detail = detail


class ServiceApis:
    def __init__(self, urls: Mapping[str, str], client: httpx.AsyncClient) -> None:
        self.urls = dict(urls)
        self.client = client

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
