"""The names a filter may use: campaigns loaded, and the windows and states they declare.

A filter naming nothing known (``--campaign malakoff-2032-2033``, ``--state confimred``)
is a typing error, not an empty answer: ``check_filter_names`` refuses it (``BadInput``,
exit 2) with the names known and the closest one, as ``--missing`` does for an item.
Every version of a campaign counts: a dossier keeps the version it was opened with.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from dacapo.engine.errors import BadInput
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import CampaignVersion


def check_filter_names(
    session: Session,
    *,
    campaign: str | None = None,
    states: Sequence[str] = (),
    window: str | None = None,
) -> None:
    """``BadInput`` for the first of ``--campaign``, ``--state``, ``--window`` naming nothing
    declared (the states and windows of ``campaign``'s versions when it is given)."""
    if campaign is None and not states and window is None:
        return
    versions = session.exec(
        select(CampaignVersion.campaign_id, CampaignVersion.version).order_by(
            col(CampaignVersion.campaign_id), col(CampaignVersion.version)
        )
    ).all()
    ids = list(dict.fromkeys(campaign_id for campaign_id, _ in versions))
    if campaign is not None:
        _check("--campaign", campaign, ids, "unknown campaign", "campaigns")
        versions = [(c, v) for c, v in versions if c == campaign]
    store = SqlDossierStore(session)
    definitions = [store.campaign(campaign_id, version) for campaign_id, version in versions]
    declared = {s for d in definitions for w in d.workflows.values() for s in w.states}
    for state in states:
        _check("--state", state, sorted(declared), "no workflow declares it", "states")
    if window is not None:
        windows = sorted({name for d in definitions for name in d.windows})
        _check("--window", window, windows, "unknown window", "windows")


def _check(option: str, value: str, known: Iterable[str], problem: str, what: str) -> None:
    names = list(known)
    if value in names:
        return
    message = f"{option} {value!r}: {problem}"
    if not names:
        raise BadInput(f"{message}; no campaign is loaded (run `dacapo campaign load`)")
    message += f"; {what}: {', '.join(names)}"
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    raise BadInput(message)
