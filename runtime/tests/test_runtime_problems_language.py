"""Problem details read in Vietnamese by default and in English on ``Accept-Language: en``:
one translation table, applied to every problem answer whoever wrote it; every title the code
uses is in the table."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from egov_runtime import problems
from egov_runtime.problems import Problem, ProblemLanguage, title_vi, wants_english
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
# helpers whose first argument is a problem title (or a noun of "<noun> not found")
TITLE_HELPERS = {"Problem": 1, "conflict": 0, "_invalid": 0}


def _titles_in_code() -> set[str]:
    found: set[str] = set()
    files = [*ROOT.glob("services/*/egov_*/**/*.py"), *ROOT.glob("runtime/egov_runtime/**/*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "not_found" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(f"{node.args[0].value} not found")
            at = TITLE_HELPERS.get(str(name))
            if at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                if isinstance(node.args[at].value, str):
                    found.add(node.args[at].value)
    return found


def test_every_title_the_code_uses_reads_in_vietnamese():
    titles = _titles_in_code()
    assert len(titles) > 40  # the scan finds them
    assert sorted(t for t in titles if title_vi(t) == t) == []


@pytest.mark.parametrize(
    ("header", "english"),
    [
        ("", False),
        ("vi", False),
        ("en", True),
        ("en-US,en;q=0.9", True),
        ("vi-VN,vi;q=0.9,en;q=0.8", False),
        ("en;q=0.5,vi;q=0.9", False),
        ("fr", False),
    ],
)
def test_accept_language(header, english):
    assert wants_english(header) is english


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/dossiers/{code}")
    async def dossier(code: str, n: int = 0) -> dict[str, str]:
        raise Problem(404, "Dossier not found", f"No dossier {code}.")

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"title": "Dossier not found"}  # not a problem: untouched

    app.add_middleware(ProblemLanguage)
    return app


async def test_problems_answer_in_the_callers_language():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        vi = await client.get("/dossiers/HS-1")
        assert vi.status_code == 404 and vi.headers["content-language"] == "vi"
        assert vi.json()["title"] == "Không tìm thấy hồ sơ"
        assert int(vi.headers["content-length"]) == len(vi.content)
        en = await client.get("/dossiers/HS-1", headers={"Accept-Language": "en"})
        assert en.json()["title"] == "Dossier not found" and en.headers["content-language"] == "en"
        invalid = await client.get("/dossiers/HS-1", params={"n": "x"})
        assert invalid.status_code == 422
        assert invalid.json()["title"] == "Yêu cầu không hợp lệ"
        assert invalid.json()["detail"] == "Yêu cầu không đúng định dạng."
        assert invalid.json()["errors"][0]["field"] == "query.n"
        plain = await client.get("/ok")
        assert plain.json() == {"title": "Dossier not found"}
        assert "content-language" not in plain.headers
