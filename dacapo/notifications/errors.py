"""The one error the template layer raises: a problem located in a template file."""

from __future__ import annotations

from dacapo.engine.errors import BadInput


class TemplateProblem(BadInput):
    """A template that cannot be used: ``reminder.sms.j2:3: message``.

    ``template`` is the file name (``reminder.sms.j2``), or the template name
    when no file is concerned (a missing set); ``line`` is 1-based, or None
    when the problem is not tied to a line.
    """

    def __init__(self, template: str, line: int | None, message: str) -> None:
        self.template = template
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.template}:{self.line}" if self.line is not None else self.template
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"TemplateProblem({self.template!r}, {self.line!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TemplateProblem):
            return NotImplemented
        return (self.template, self.line, self.message) == (
            other.template,
            other.line,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.template, self.line, self.message))
