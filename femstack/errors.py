"""Exception types raised by femstack.

Every exception that femstack raises on purpose derives from `FemstackError`, so a caller
can catch all of them with one ``except`` clause. The subclasses also derive from the
matching built-in exception (`ValueError` or `RuntimeError`), so code that does not know
femstack still handles them sensibly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = [
    "MISSING",
    "DesignError",
    "DesignProblem",
    "FemstackError",
    "GeometryError",
    "MeshError",
    "SolverError",
]


class _Missing:
    """Type of the `MISSING` sentinel, the value of a field that the design does not give."""

    _instance: "_Missing | None" = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Sentinel for `DesignProblem.value` when a required field is absent."""


def format_value(value: Any) -> str:
    """Format a value as the user wrote it, for use in error messages.

    Strings are quoted, so that ``'0.71 kg'`` and ``0.71`` can be distinguished.
    """
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class DesignProblem:
    """One invalid entry of a design.

    Attributes
    ----------
    field : str
        Dotted path of the entry, such as ``windings[1].trace_width`` or
        ``stackup.copper_thickness[2]``. List indices are 0-based.
    value : Any
        The value as the user wrote it, or `MISSING` if the entry is absent.
    allowed : str
        What would be accepted, in words, for example ``expected a length such as
        '0.2 mm' or '8 mil'``.
    reason : str
        Short description of the failure, for example ``invalid value`` or
        ``unknown key``.
    """

    field: str
    value: Any
    allowed: str
    reason: str = "invalid value"

    def __str__(self) -> str:
        if self.value is MISSING:
            head = f"{self.field}: {self.reason}"
        else:
            head = f"{self.field}: {self.reason} {format_value(self.value)}"
        if self.allowed:
            return f"{head}: {self.allowed}"
        return head


class FemstackError(Exception):
    """Base class of all errors that femstack raises on purpose."""


class DesignError(FemstackError, ValueError):
    """Invalid design input: a bad value, a missing or unknown key, or a winding that does not fit.

    One error may report several problems. `field`, `value`, `allowed` and `reason` are
    those of the first problem, and `problems` contains all of them in the order found.

    Parameters
    ----------
    field : str
        Dotted path of the invalid entry, such as ``windings[1].trace_width``.
    value : Any
        The value as the user wrote it, or `MISSING` if the entry is absent.
    allowed : str
        What would be accepted, in words.
    reason : str, optional
        Short description of the failure. The default is ``"invalid value"``.
    """

    def __init__(
        self,
        field: str,
        value: Any = MISSING,
        allowed: str = "",
        *,
        reason: str = "invalid value",
    ) -> None:
        self._set_problems((DesignProblem(field, value, allowed, reason),))

    @classmethod
    def from_problems(cls, problems: Iterable[DesignProblem]) -> "DesignError":
        """Create one error that reports all `problems`.

        Raises
        ------
        ValueError
            If `problems` is empty.
        """
        collected = tuple(problems)
        if not collected:
            raise ValueError("DesignError.from_problems needs at least one problem")
        error = cls.__new__(cls)
        error._set_problems(collected)
        return error

    def _set_problems(self, problems: tuple[DesignProblem, ...]) -> None:
        self.problems = problems
        first = problems[0]
        self.field = first.field
        self.value = first.value
        self.allowed = first.allowed
        self.reason = first.reason
        Exception.__init__(self, self._message())

    def _message(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"the design has {len(self.problems)} problems:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)

    def with_prefix(self, prefix: str) -> "DesignError":
        """Return a copy whose field paths start with `prefix` (such as ``windings[1]``)."""
        if not prefix:
            return self
        problems = []
        for problem in self.problems:
            if problem.field.startswith("["):
                field = prefix + problem.field
            elif problem.field:
                field = f"{prefix}.{problem.field}"
            else:
                field = prefix
            problems.append(DesignProblem(field, problem.value, problem.allowed, problem.reason))
        return type(self).from_problems(problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_design_error, (type(self), self.problems))


def _rebuild_design_error(cls: type[DesignError], problems: tuple[DesignProblem, ...]) -> DesignError:
    return cls.from_problems(problems)


class GeometryError(FemstackError, ValueError):
    """A design cannot be turned into a valid geometry."""


class MeshError(FemstackError, RuntimeError):
    """Meshing failed."""


class SolverError(FemstackError, RuntimeError):
    """A finite-element solve failed or did not converge."""
