"""Reading a campaign file: YAML with positions, then the schema, then the checks.

Every error comes back at once, each located as ``FILE:LINE:COL: path: message``.

A relative ``notifications.templates_dir`` means the folder next to the campaign
file: ``load_campaign`` resolves it there once, and the campaign it returns (what
``campaign load`` stores, and every command and the dispatcher use) names it in
full, wherever they run from.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from dacapo.campaigns.checks import check_campaign
from dacapo.campaigns.locate import expected_keys, locate
from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import CampaignInvalid, Problem

Loc = tuple[str | int, ...]


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that leaves timestamps as text for pydantic to judge.

    ruamel turns ``2023-02-30`` into a ValueError without a position; as a string
    it reaches pydantic, whose error we can place on its line and column.
    """


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


@dataclass(frozen=True)
class LoadedCampaign:
    campaign: Campaign
    source: str
    text: str
    sha256: str


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def _yaml_problem(source: str, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if isinstance(error, DuplicateKeyError):
        problem = error.problem or "duplicate key"
        key = problem.split('"')[1] if problem.count('"') >= 2 else "?"
        return Problem(source, line, column, "", f"duplicate key {key!r}: a key may appear once")
    parts = [p for p in (error.context, error.problem) if p]
    message = "; ".join(parts) or "invalid YAML"
    context = error.context_mark
    if context is not None and error.problem_mark is not None and context.line != mark.line:
        message += f" (started at line {context.line + 1}, column {context.column + 1})"
    if "'\\t'" in message:
        message = "tab character: indent YAML with spaces, never tabs"
    return Problem(source, line, column, "", f"YAML syntax error: {message}")


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problems(source: str, root: Any, error: ValidationError) -> Iterable[Problem]:
    for item in error.errors():
        loc = tuple(item["loc"])
        kind = item["type"]
        message = item["msg"]
        if kind == "extra_forbidden":
            known = expected_keys(Campaign, loc[:-1])
            key = str(loc[-1])
            message = f"unknown key {key!r}"
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean {close[0]!r}?"
            elif known:
                message += f" (expected one of: {', '.join(sorted(known))})"
            line, column, path = locate(root, loc, at_key=True)
        elif kind == "missing":
            message = f"missing required key {loc[-1]!r}"
            line, column, path = locate(root, loc)
        else:
            line, column, path = locate(root, loc)
            if kind == "value_error":
                message = message.removeprefix("Value error, ")
            elif kind.startswith(("date_", "time_")):
                expected = "YYYY-MM-DD" if kind.startswith("date_") else "HH:MM"
                detail = message.split(", ", 1)[1] if ", " in message else message
                message = (
                    f"{item['input']!r} is not a valid {kind[:4]} ({detail}; write {expected})"
                )
        yield Problem(source, line, column, _dotted(path), message)


TemplateResolver = Callable[[str | None], Iterable[str]]


def parse_campaign(
    text: str, source: str = "<campaign>", *, templates: TemplateResolver | None = None
) -> Campaign:
    """Parse and validate a campaign text; raise CampaignInvalid with every problem.

    ``templates`` maps the campaign's ``templates_dir`` to the template names it
    may use; without it, template names are not checked.
    """
    try:
        root = _yaml().load(text)
    except MarkedYAMLError as error:
        raise CampaignInvalid([_yaml_problem(source, error)]) from None
    if not isinstance(root, CommentedMap):
        line, column, _ = locate(root, ())
        message = "a campaign file is a YAML mapping of keys to values"
        raise CampaignInvalid([Problem(source, line, column, "", message)])
    try:
        campaign = Campaign.model_validate(root)
    except ValidationError as error:
        raise CampaignInvalid(_sorted(_schema_problems(source, root, error))) from None
    problems = [
        Problem(source, *locate(root, loc)[:2], _dotted(loc), message)
        for loc, message in check_campaign(
            campaign,
            known_templates=templates(campaign.notifications.templates_dir) if templates else None,
        )
    ]
    if problems:
        raise CampaignInvalid(_sorted(problems))
    return campaign


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column, p.path))


def templates_folder(campaign_file: Path, templates_dir: str | None) -> Path | None:
    """The campaign's own templates folder: ``templates_dir`` as written when absolute,
    else resolved against the campaign file's folder (absolute, symbolic links resolved,
    so the same file names the same folder from any working directory)."""
    if not templates_dir:
        return None
    folder = Path(templates_dir)
    return folder if folder.is_absolute() else (campaign_file.parent / folder).resolve()


def _stored_in_full(campaign: Campaign, campaign_file: Path) -> Campaign:
    """``campaign`` naming its relative ``templates_dir`` in full (an absolute one, or
    none, is left as written)."""
    written = campaign.notifications.templates_dir
    if not written or Path(written).is_absolute():
        return campaign
    folder = str(templates_folder(campaign_file, written))
    notifications = campaign.notifications.model_copy(update={"templates_dir": folder})
    return campaign.model_copy(update={"notifications": notifications})


def _resolved(templates: TemplateResolver, campaign_file: Path) -> TemplateResolver:
    """``templates``, given the folder ``templates_folder`` resolves."""

    def resolver(name: str | None) -> Iterable[str]:
        folder = templates_folder(campaign_file, name)
        return templates(None if folder is None else str(folder))

    return resolver


def load_campaign(path: Path, *, templates: TemplateResolver | None = None) -> LoadedCampaign:
    """Read, parse and validate a campaign file; a relative ``templates_dir`` comes back
    resolved next to it (see ``templates_folder``), and is given so to ``templates``.

    ``sha256`` is the file's, plus the resolved folder when the file names a relative
    one: the same file loaded from another folder names other templates, so it is
    another definition (a new version), while the same file reloaded from another
    working directory is the same one.
    """
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CampaignInvalid(
            [Problem(source, 1, 1, "", f"cannot read: {error.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        message = f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8"
        raise CampaignInvalid([Problem(source, line, column, "", message)]) from None
    resolved = None if templates is None else _resolved(templates, path)
    written = parse_campaign(text, source, templates=resolved)
    campaign = _stored_in_full(written, path)
    digest = hashlib.sha256(raw)
    if campaign is not written:
        digest.update(f"\0templates_dir={campaign.notifications.templates_dir}".encode())
    return LoadedCampaign(campaign, source, text, digest.hexdigest())
