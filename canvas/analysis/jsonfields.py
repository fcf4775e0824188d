"""Typed readers for decoded JSON that name the failing field path.

Every error is a ``UsageError`` whose message starts with the path, e.g.
``assignments[3].points_possible: expected a number``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from canvas.errors import UsageError

MISSING: Any = object()


def fail(path: str, problem: str) -> UsageError:
    return UsageError(f"{path}: {problem}")


def get(obj: dict[str, Any], key: str, path: str, default: Any = MISSING) -> Any:
    """``obj[key]``; a missing key raises unless a default is given."""
    if key in obj:
        return obj[key]
    if default is MISSING:
        raise fail(f"{path}.{key}" if path else key, "required field is missing")
    return default


def as_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(path, "expected an object")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(path, "expected a list")
    return value


def as_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise fail(path, "expected true or false")
    return value


def as_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise fail(path, "expected a non-empty string")
    return value


def as_id(value: Any, path: str) -> str:
    """Canvas ids: strings, or integers as the API sends them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return as_str(value, path)


def as_opt_str(value: Any, path: str) -> str | None:
    return None if value is None else as_str(value, path)


def as_number(value: Any, path: str, *, minimum: int | None = None) -> Decimal:
    """A finite JSON number as an exact ``Decimal`` (floats via their shortest text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise fail(path, "expected a number")
    # str(float) is the shortest round-tripping text, as big.js reads numbers.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise fail(path, "expected a finite number")
    if minimum is not None and number < minimum:
        raise fail(path, f"expected a number >= {minimum}")
    return number


def as_opt_number(value: Any, path: str, *, minimum: int | None = None) -> Decimal | None:
    return None if value is None else as_number(value, path, minimum=minimum)


def as_count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(path, "expected a whole number >= 0")
    return value
