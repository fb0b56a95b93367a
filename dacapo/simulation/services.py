"""The desk and the portal: what families and staff do, through the CLI's own services.

Every action is one unit of work calling the function the matching command
calls (``dossier answer`` → ``record_answers``, ``dossier advance`` → ``fire``,
``document add`` → ``add_document``, ``document review`` → ``review_document``,
``dossier reopen --until`` → ``fire`` then ``extend_deadline``, ``wish add`` →
``read_wish`` and ``register_wish``), committed when it succeeds: state, audit
rows and outbox rows together. A refusal (``DacapoError``) writes nothing and
reaches the caller, who decides what the person does about it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from dacapo.bootstrap import App
from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import DossierNotFound
from dacapo.engine.machine import machine_for
from dacapo.engine.services import Outcome, fire
from dacapo.rules.snapshot import Actor
from dacapo.store.corrections import Correction, extend_deadline, record_answers
from dacapo.store.documents import AddedDocument, DocumentFacts, Owner, add_document
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.reviews import Decision, Review, review_document
from dacapo.store.tables import Dossier
from dacapo.store.wishes import Registered, register_wish

_DOSSIER = cast(Table, Dossier.__table__)  # type: ignore[attr-defined]
_STATE = select(
    _DOSSIER.c.campaign_id, _DOSSIER.c.campaign_version, _DOSSIER.c.workflow, _DOSSIER.c.state
).where(_DOSSIER.c.ref == bindparam("ref"))


class Services:
    """The write paths of the CLI, for one simulated database."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database
        self._campaigns: dict[tuple[str, int], Campaign] = {}

    def events(self, ref: str) -> list[str]:
        """The events the dossier's workflow allows from its state now (the portal's buttons)."""
        with self.database.unit_of_work(read_only=True) as uow:
            found = uow.session.execute(_STATE, {"ref": ref}).one_or_none()
            if found is None:
                raise DossierNotFound(ref)
            key = (found.campaign_id, found.campaign_version)
            if key not in self._campaigns:  # a campaign version never changes
                self._campaigns[key] = SqlDossierStore(uow.session).campaign(*key)
        campaign, name = self._campaigns[key], found.workflow
        machine = machine_for(campaign.id, key[1], name, campaign.workflows[name])
        return machine.allowed_events(found.state)

    def answer(
        self,
        ref: str,
        actor: Actor,
        now: dt.datetime,
        *,
        intent: str | None = None,
        preferences: str | None = None,
        remarks: str | None = None,
    ) -> Correction:
        with self.database.unit_of_work() as uow:
            done = record_answers(
                uow.session,
                ref,
                intent=intent,
                preferences=preferences,
                remarks=remarks,
                actor=actor,
                now=now,
            )
            uow.commit()
        return done

    def fire(
        self, ref: str, event: str, actor: Actor, now: dt.datetime, reason: str | None = None
    ) -> Outcome:
        with self.database.unit_of_work() as uow:
            outcome = fire(SqlDossierStore(uow.session), ref, event, actor, now=now, reason=reason)
            uow.commit()
        return outcome

    def add_document(
        self,
        kind: str,
        file: Path,
        dossier_ref: str,
        facts: DocumentFacts,
        actor: Actor,
        now: dt.datetime,
    ) -> AddedDocument:
        settings = self.app.settings
        with self.database.unit_of_work() as uow:
            added = add_document(
                uow.session,
                kind,
                file,
                Owner(dossier_ref=dossier_ref),
                facts,
                original_name=file.name,
                store_dir=settings.data_dir / "documents",
                max_bytes=settings.max_upload_bytes,
                actor=actor,
                now=now,
            )
            uow.commit()
        return added

    def review(
        self,
        document_id: int,
        decision: Decision,
        actor: Actor,
        now: dt.datetime,
        reason: str | None = None,
    ) -> Review:
        with self.database.unit_of_work() as uow:
            done = review_document(
                uow.session, document_id, decision, actor=actor, now=now, reason=reason
            )
            uow.commit()
        return done

    def reopen(
        self, ref: str, actor: Actor, now: dt.datetime, *, reason: str, until: dt.date
    ) -> Outcome:
        """``dacapo dossier reopen REF --reason TEXT --until DATE``: the reopening and the
        extension in one unit of work."""
        with self.database.unit_of_work() as uow:
            outcome = fire(
                SqlDossierStore(uow.session), ref, "reopen", actor, now=now, reason=reason
            )
            extend_deadline(uow.session, ref, until, actor=actor, now=now, reason=reason)
            uow.commit()
        return outcome

    def register_wish(self, data: dict[str, Any], actor: Actor, now: dt.datetime) -> Registered:
        """``dacapo wish add``: ``data`` holds the command's options, as it builds them."""
        from dacapo.engine.wishes import read_wish

        wish = read_wish(data)
        with self.database.unit_of_work() as uow:
            done = register_wish(uow.session, wish, actor=actor, now=now)
            uow.commit()
        return done
