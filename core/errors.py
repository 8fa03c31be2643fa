"""Problems with the user's input, reported all at once and in words a person can act on.

Every check in the library that can fail because of what the user loaded raises `InputError`
with a list of `Problem`s; the CLI and the app print them and never show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, what is wrong, what to do.

    `row` is the row as a spreadsheet shows it: the header is row 1, the first volunteer row 2.
    """

    message: str
    fix: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # "error" stops the work; "warning" is reported and the work goes on

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.fix and not text.rstrip().endswith((".", "!", "?", ":")):
            text = text.rstrip() + "."  # the message and the fix read as two sentences
        if self.fix:
            text += f" {self.fix}"
        if self.severity == "warning":
            text = "warning: " + text
        return text


class SortitionError(Exception):
    """Base class of every error this library raises on purpose."""


@dataclass
class InputError(SortitionError):
    """The input cannot be used; `problems` lists every reason found, not only the first."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) with the input:"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


class InfeasibleQuotas(SortitionError):
    """No panel meets every quota; `repair` holds the smallest change of bounds that fixes it."""

    def __init__(self, message: str, repair: object | None = None, impossible: list[Problem] | None = None):
        super().__init__(message)
        self.repair = repair
        self.impossible = impossible or []


class SolverError(SortitionError):
    """An optimisation solver failed in a way the input does not explain."""
