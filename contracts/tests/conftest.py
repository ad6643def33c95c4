"""What the contracts' tests share."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable

import pytest
from pydantic import BaseModel


def _nullable(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation)


def _nulled(model: BaseModel) -> tuple[BaseModel, int]:
    """``model`` with every nullable field, at every depth, set to None; and how many."""
    updates: dict[str, object] = {}
    count = 0
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if _nullable(field.annotation):
            updates[name] = None
            count += 1
        elif isinstance(value, BaseModel):
            updates[name], n = _nulled(value)
            count += n
        elif isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
            items = [_nulled(v) if isinstance(v, BaseModel) else (v, 0) for v in value]
            updates[name] = [v for v, _ in items]
            count += sum(n for _, n in items)
    return model.model_copy(update=updates), count


@pytest.fixture
def nulled() -> Callable[[BaseModel], tuple[BaseModel, int]]:
    """A model with every nullable field, at every depth, set to None (and how many)."""
    return _nulled
