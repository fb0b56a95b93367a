"""docs/templates.md documents the render context and stays current."""

from __future__ import annotations

from pathlib import Path

from dacapo.notifications.docs import context_reference
from dacapo.notifications.model import CONTEXT_VARIABLES

DOC = Path(__file__).parents[3] / "docs" / "templates.md"
REGENERATE = (
    'python -c "from dacapo.notifications.docs import context_reference as r;'
    " print(r(), end='')\" > docs/templates.md"
)


def test_docs_templates_md_is_the_generated_reference() -> None:
    assert DOC.read_text("utf-8") == context_reference(), f"regenerate it: {REGENERATE}"


def test_every_context_variable_is_described() -> None:
    reference = context_reference()
    for name in CONTEXT_VARIABLES:
        assert f"| `{name}` |" in reference


def test_the_attributes_of_nested_objects_are_listed() -> None:
    reference = context_reference()
    assert "### PupilInfo" in reference
    assert "| `missing` | list of text | French sentences, one per requirement |" in reference
    assert "### WindowInfo" in reference  # reached through campaign.reenrolment_window
    assert "| `details` | text |" in reference  # a property
