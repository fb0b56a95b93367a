"""The closed registry of guards and formats, and the dossier checklist.

Importing this package registers every guard: ``GUARDS`` is complete.
"""

from dacapo.rules import access, answers, documents, identity
from dacapo.rules.checklist import Checklist, checklist, evaluate, requirement_items
from dacapo.rules.findings import Finding, GuardContext, Status
from dacapo.rules.formats import FORMATS, FormatCheck, display_fr_mobile, parse_fr_mobile
from dacapo.rules.registry import GUARDS, Guard

__all__ = [
    "FORMATS",
    "GUARDS",
    "Checklist",
    "Finding",
    "FormatCheck",
    "Guard",
    "GuardContext",
    "Status",
    "access",
    "answers",
    "checklist",
    "display_fr_mobile",
    "documents",
    "evaluate",
    "identity",
    "parse_fr_mobile",
    "requirement_items",
]
