"""The one service that changes a dossier's state: ``fire``.

It checks the actor, the window and the transition's guards, runs the
workflow's machine, and hands the store one ``Change`` — new state, audit row,
outbox rows — to write in the caller's transaction. Nothing else assigns a
state. Pure: the store and the current time are parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from dacapo.campaigns.schema import Campaign, Role, TransitionSpec, Workflow
from dacapo.campaigns.windows import require_aware
from dacapo.engine.errors import ConcurrentUpdate, GuardFailed
from dacapo.engine.machine import machine_for
from dacapo.engine.model import Change, DossierRecord, DossierStore, Message
from dacapo.engine.recipients import Contacts, addresses, contacts_of
from dacapo.engine.texts import reason_text
from dacapo.rules import evaluate
from dacapo.rules.findings import Finding, GuardContext, unmet
from dacapo.rules.snapshot import Actor

SYSTEM = Actor(Role.SYSTEM, "dacapo")
ALWAYS_CHECKED = ("actor_allowed", "window_open")


@dataclass(frozen=True)
class Step:
    event: str
    from_state: str
    to_state: str
    audit_seq: int
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What ``fire`` did: one step, or two when confirmation followed automatically.

    ``pending`` lists why an automatic confirmation did not follow, if it did not.
    """

    ref: str
    steps: tuple[Step, ...]
    pending: tuple[Finding, ...] = ()

    @property
    def state(self) -> str:
        return self.steps[-1].to_state


def fire(
    store: DossierStore,
    ref: str,
    event: str,
    actor: Actor,
    *,
    now: dt.datetime,
    reason: str | None = None,
    simulated: bool = False,
    expected_version: int | None = None,
    context: dict[str, Any] | None = None,
) -> Outcome:
    """Fire ``event`` on dossier ``ref`` as ``actor`` at ``now``.

    Raises TransitionNotAllowed (with the events allowed now), GuardFailed (with
    every unmet requirement), or ConcurrentUpdate when ``expected_version`` —
    the version the caller looked at — is no longer current.
    """
    require_aware(now)
    reason = reason_text(reason)  # BadInput: a control character, over 1,000 characters
    record = store.dossier(ref)
    if expected_version is not None and record.version != expected_version:
        raise ConcurrentUpdate(ref)
    campaign = store.campaign(record.campaign_id, record.campaign_version)
    first = _step(store, campaign, record, event, actor, reason, now, simulated, context or {})
    steps = [first]
    pending: tuple[Finding, ...] = ()
    follow = _automatic_confirmation(campaign, record, first.to_state, actor)
    if follow is not None:
        after = store.dossier(ref)
        try:
            steps.append(
                _step(store, campaign, after, follow.event, SYSTEM, None, now, simulated, {})
            )
        except GuardFailed as refused:
            pending = tuple(refused.findings)
    return Outcome(ref, tuple(steps), pending)


def _automatic_confirmation(
    campaign: Campaign, record: DossierRecord, state: str, actor: Actor
) -> TransitionSpec | None:
    """The system transition to success that follows ``state``, when confirmation is automatic."""
    if campaign.confirmation.mode != "automatic" or actor.role is Role.SYSTEM:
        return None
    workflow = campaign.workflows[record.snapshot.workflow]
    for transition in workflow.transitions:
        if (
            transition.to == workflow.success
            and Role.SYSTEM in transition.by
            and state in workflow.sources(transition)
        ):
            return transition
    return None


def guards_of(transition: TransitionSpec) -> list[str]:
    """The guards fire evaluates: actor and window always, then the transition's own."""
    return list(dict.fromkeys([*ALWAYS_CHECKED, *transition.guards]))


def _step(
    store: DossierStore,
    campaign: Campaign,
    record: DossierRecord,
    event: str,
    actor: Actor,
    reason: str | None,
    now: dt.datetime,
    simulated: bool,
    context: dict[str, Any],
) -> Step:
    snapshot = record.snapshot
    workflow: Workflow = campaign.workflows[snapshot.workflow]
    machine = machine_for(campaign.id, record.campaign_version, snapshot.workflow, workflow)
    transition = machine.transition(snapshot.state, event)
    ctx = GuardContext(campaign, snapshot, now, actor, transition, reason)
    refused = unmet(evaluate(guards_of(transition), ctx))
    if refused:
        raise GuardFailed(event, [f.message for f in refused], [f.code for f in refused], refused)
    to_state = machine.next_state(snapshot.state, event)
    messages = _messages(campaign, record, transition, reason, now, context)
    accepted = campaign.house_rules.version if transition.accepts_house_rules else None
    change = Change(
        dossier_ref=record.ref,
        expected_version=record.version,
        event=event,
        from_state=snapshot.state,
        to_state=to_state,
        actor=actor,
        reason=reason,
        effective_at=now,
        simulated=simulated,
        campaign_version=record.campaign_version,
        house_rules_version=accepted,
        messages=messages,
    )
    seq = store.apply(change)
    return Step(event, snapshot.state, to_state, seq, tuple(m.key for m in messages))


def _messages(
    campaign: Campaign,
    record: DossierRecord,
    transition: TransitionSpec,
    reason: str | None,
    now: dt.datetime,
    extra: dict[str, Any],
) -> tuple[Message, ...]:
    contacts = contacts_of(campaign, record)
    return notification_messages(
        campaign, transition, record.ref, record.version, contacts, reason, now, extra
    )


def notification_messages(
    campaign: Campaign,
    transition: TransitionSpec,
    ref: str,
    version: int,
    contacts: Contacts,
    reason: str | None,
    effective_at: dt.datetime,
    extra: dict[str, Any] | None = None,
) -> tuple[Message, ...]:
    """The messages ``transition`` queues for dossier ``ref`` leaving ``version``.

    One per channel of the transition's ``notify`` message and per address;
    the key ``NOTIFY:REF:vVERSION:CHANNEL:ADDRESS`` makes the same cause queue
    each message once. Bulk paths (closing a window) call this directly.
    """
    if transition.notify is None or transition.notify not in campaign.notifications.messages:
        return ()
    spec = campaign.notifications.messages[transition.notify]
    context = {
        "dossier": ref,
        "event": transition.event,
        "reason": reason,
        "effective_at": effective_at.isoformat(),
        **(extra or {}),
    }
    cause = f"{transition.notify}:{ref}:v{version}"
    return tuple(
        Message(
            key=f"{cause}:{name}:{address}",
            message=transition.notify,
            template=spec.template,
            channel=name,
            recipient=address,
            context=context,
        )
        for channel, name in ((channel, channel.value) for channel in spec.channels)
        for address in addresses(contacts, channel)
    )


def with_state(record: DossierRecord, state: str) -> DossierRecord:
    """A copy of ``record`` in another state (for what-if checks)."""
    return replace(record, snapshot=replace(record.snapshot, state=state))
