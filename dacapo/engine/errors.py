"""The one error hierarchy. The CLI maps each class to a message and exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class DacapoError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1


class BadInput(DacapoError):
    """Input that cannot be used as given (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One error located in a file: ``FILE:LINE:COL: path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class TransitionNotAllowed(DacapoError):
    """An unknown event, or one the current state does not allow."""

    def __init__(self, event: str, state: str, allowed: Sequence[str]) -> None:
        self.event = event
        self.state = state
        self.allowed = list(allowed)
        now = ", ".join(self.allowed) if self.allowed else "none (the dossier is closed)"
        super().__init__(f"Event {event!r} is not allowed from state {state!r}; allowed now: {now}")


class GuardFailed(DacapoError):
    """Requirements are unmet; ``reasons`` are the rules' French sentences."""

    def __init__(
        self,
        event: str,
        reasons: Sequence[str],
        codes: Sequence[str] = (),
        findings: Sequence[object] = (),
    ) -> None:
        self.event = event
        self.reasons = list(reasons)
        self.codes = list(codes)
        self.findings: list[Any] = list(findings)
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(f"Cannot {event}: {len(self.reasons)} unmet requirement(s):\n{lines}")


class CampaignInvalid(BadInput):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FamilyImportInvalid(BadInput):
    """A family CSV with problems (each printed as ``FILE:ROW:COLUMN: message``)."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FileRefused(BadInput):
    """An uploaded document refused at intake: ``NAME: refused: reason``."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: refused: {reason}")


class NotFound(DacapoError):
    """Something named on the command line does not exist (a refusal: exit 1)."""


class DossierNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"No dossier {ref!r}")


class ConcurrentUpdate(DacapoError):
    """The optimistic version check failed: someone else wrote the dossier first."""

    def __init__(self, ref: str | None = None) -> None:
        self.ref = ref
        what = f"dossier {ref}" if ref else "this dossier"
        super().__init__(f"Someone else changed {what} first; reload and try again")


class DatabaseBusy(DacapoError):
    """Another process held the database lock for longer than the busy timeout."""


class DatabaseUnavailable(DacapoError):
    """The database cannot be opened or reached."""


class SchemaOutOfDate(DacapoError):
    """The database schema is not at the revision this version of Da Capo expects."""


class OutboxRowNotFound(NotFound):
    def __init__(self, row_id: int) -> None:
        self.row_id = row_id
        super().__init__(f"No outbox message {row_id}")


class OutboxChangeRefused(DacapoError):
    """``outbox retry`` or ``cancel`` on a message in a status that does not allow it."""
