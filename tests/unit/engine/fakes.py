"""A fake store that keeps what the engine wrote (cosmicpython-style fakes, not mocks)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from dacapo.campaigns.schema import Campaign
from dacapo.engine.errors import ConcurrentUpdate, DossierNotFound
from dacapo.engine.model import Change, DossierRecord, Message
from dacapo.rules.snapshot import DossierSnapshot


@dataclass
class FakeStore:
    campaign_def: Campaign
    records: dict[str, DossierRecord] = field(default_factory=dict)
    audit: list[Change] = field(default_factory=list)
    outbox: dict[str, Message] = field(default_factory=dict)

    def add(self, snapshot: DossierSnapshot, version: int = 1) -> DossierRecord:
        record = DossierRecord(snapshot.ref, version, self.campaign_def.id, 1, snapshot)
        self.records[snapshot.ref] = record
        return record

    def dossier(self, ref: str) -> DossierRecord:
        try:
            return self.records[ref]
        except KeyError:
            raise DossierNotFound(ref) from None

    def campaign(self, campaign_id: str, version: int) -> Campaign:
        assert campaign_id == self.campaign_def.id
        return self.campaign_def

    def apply(self, change: Change) -> int:
        record = self.records[change.dossier_ref]
        if record.version != change.expected_version:
            raise ConcurrentUpdate(change.dossier_ref)
        snapshot = dataclasses.replace(
            record.snapshot,
            state=change.to_state,
            house_rules_version=change.house_rules_version or record.snapshot.house_rules_version,
        )
        self.records[change.dossier_ref] = dataclasses.replace(
            record, version=record.version + 1, snapshot=snapshot
        )
        self.audit.append(change)
        for message in change.messages:
            self.outbox.setdefault(message.key, message)
        return sum(1 for c in self.audit if c.dossier_ref == change.dossier_ref)
