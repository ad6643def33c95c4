"""Arithmetic over indicator values, written as in DHIS2: ``#{HO_NGHEO} / #{HO_TONG} * 100``.

Hand-written on Python's own parser (``ast``) because no installed library evaluates such
expressions exactly in ``Decimal`` and safely; only numbers, ``#{CODE}`` references, ``+ - * /``,
unary minus and parentheses are allowed, everything else is refused when the rule is loaded.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation

_REF = re.compile(r"#\{([A-Z0-9_.-]+)\}")
_PREFIX = "ref_"

_BINARY: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be parsed."""


class MissingValue(LookupError):
    """An expression refers to an indicator without a value."""


class Undefined(ArithmeticError):
    """Division by zero."""


@dataclass(frozen=True)
class Expression:
    text: str
    _tree: ast.expr = field(repr=False, compare=False)
    _names: dict[str, str] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Expression:
        names: dict[str, str] = {}

        def to_name(m: re.Match[str]) -> str:
            name = _PREFIX + re.sub(r"[^A-Za-z0-9_]", lambda c: f"_{ord(c.group()):x}_", m[1])
            names[name] = m[1]
            return name

        source = _REF.sub(to_name, text)
        try:
            tree = ast.parse(source, mode="eval").body
        except SyntaxError as exc:
            raise ExpressionError(f"cannot parse expression {text!r}") from exc
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if node.id not in names:
                    raise ExpressionError(f"unknown name {node.id!r} in {text!r}: use #{{CODE}}")
            elif isinstance(node, ast.Constant):
                if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                    raise ExpressionError(f"only numbers are allowed in {text!r}")
            elif not isinstance(
                node, ast.BinOp | ast.UnaryOp | ast.Load | ast.USub | ast.UAdd | ast.operator
            ) or (isinstance(node, ast.operator) and type(node) not in _BINARY):
                raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}")
        return cls(text, tree, names)

    @property
    def references(self) -> frozenset[str]:
        return frozenset(self._names.values())

    def evaluate(self, values: Mapping[str, Decimal]) -> Decimal:
        """The value; raises ``MissingValue`` or ``Undefined`` (division by zero)."""
        try:
            return self._eval(self._tree, values)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation) as exc:
            raise Undefined(f"{self.text}: division by zero") from exc

    def _eval(self, node: ast.expr, values: Mapping[str, Decimal]) -> Decimal:
        if isinstance(node, ast.Constant):
            # Through str so that 0.1 stays 0.1 rather than the binary float's expansion.
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            code = self._names[node.id]
            if code not in values:
                raise MissingValue(code)
            return values[code]
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand, values)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            op = _BINARY[type(node.op)]
            return op(self._eval(node.left, values), self._eval(node.right, values))
        raise ExpressionError(f"unexpected node in {self.text!r}")  # excluded by parse
