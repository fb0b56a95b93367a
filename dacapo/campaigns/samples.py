"""What-if dossiers: a dossier described in YAML, to try a campaign's rules on.

Administrators use them to check a campaign before any family is imported;
``make demo`` prints the checklists of the samples in ``examples/dossiers``.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError

from dacapo.campaigns.locate import locate
from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import CampaignInvalid, Problem
from dacapo.rules.snapshot import DossierSnapshot

_ADAPTER = TypeAdapter(DossierSnapshot)


def parse_sample(text: str, source: str, campaign: Campaign, *, ref: str) -> DossierSnapshot:
    """Parse a sample dossier; ``workflow`` comes from its window."""
    try:
        root = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise CampaignInvalid(
            [Problem(source, line, column, "", f"YAML: {error.problem}")]
        ) from None
    if not isinstance(root, CommentedMap):
        raise CampaignInvalid([Problem(source, 1, 1, "", "a sample dossier is a YAML mapping")])
    window = root.get("window")
    if window not in campaign.windows:
        line, column, _ = locate(root, ("window",))
        known = ", ".join(campaign.windows)
        raise CampaignInvalid(
            [Problem(source, line, column, "window", f"unknown window {window!r} (known: {known})")]
        )
    data: dict[str, Any] = {"ref": ref, "workflow": campaign.windows[window].workflow, **root}
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            line, column, path = locate(root, tuple(item["loc"]))
            dotted = ".".join(str(p) for p in path)
            problems.append(Problem(source, line, column, dotted, item["msg"]))
        raise CampaignInvalid(problems) from None
