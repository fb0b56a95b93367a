"""The report as JSON, for scripts: the ``Report`` dataclass, dates in ISO 8601.

Rates are fractions (0.425) or null; ``generated_at`` carries the campaign's
UTC offset; ``funnel.windows[].series[].counts`` has one number per
``funnel.days`` entry; ``call_list`` and ``deferred`` come last. Compact (no
indentation): at 100,000 dossiers the call list alone is tens of megabytes.

Written by orjson, which walks dataclasses, dates and tuples in C: the json
module's encoder called back into Python for every one of the hundreds of
thousands of objects, and took longer than building the report.
"""

from __future__ import annotations

from typing import Any, TextIO

import orjson

from dacapo.reports.model import Report

LONG = ("call_list", "deferred")  # written last, a thousand entries at a time
CHUNK = 1000
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode("utf-8")


def render_json(report: Report, out: TextIO) -> None:
    """One JSON object; the long lists go out in chunks, so that the text of the whole
    report (tens of megabytes at 100,000 dossiers) never is in memory at once."""
    head = {name: getattr(report, name) for name in Report.__dataclass_fields__}
    for name in LONG:
        del head[name]
    out.write(_dumps(head)[:-1])
    for name in LONG:
        entries = getattr(report, name)
        out.write(f',"{name}":[')
        for start in range(0, len(entries), CHUNK):
            out.write(("," if start else "") + _dumps(entries[start : start + CHUNK])[1:-1])
        out.write("]")
    out.write("}\n")
