"""Loading a campaign: its versions, one dossier per continuing pupil, reloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from dacapo.campaigns.loader import LoadedCampaign
from dacapo.commands.campaign import read_campaign
from dacapo.engine.errors import BadInput
from dacapo.engine.imports import parse_families
from dacapo.store.audit import add_audit_row, verify_audit
from dacapo.store.campaign_load import LoadOutcome, WorkflowChanged, load_campaign
from dacapo.store.database import Database
from dacapo.store.dossiers import get_dossier
from dacapo.store.family_import import import_families
from dacapo.store.tables import Answer, AuditRow, CampaignVersion, Dossier, Student

ROOT = Path(__file__).parents[2]
BUNDLED = ROOT / "campaign-2023-2024.yaml"
SAMPLE = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
NOW = dt.datetime(2023, 5, 2, 9, 0, tzinfo=dt.UTC)
ZOE = "malakoff-2023-2024-S0101"


def _campaign(tmp_path: Path, *replacements: tuple[str, str]) -> LoadedCampaign:
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return read_campaign(path)


def _load(db: Database, loaded: LoadedCampaign, **remap: str) -> LoadOutcome:
    with db.unit_of_work() as uow:
        outcome = load_campaign(uow.session, loaded, actor="secretariat", now=NOW, remap=remap)
        uow.commit()
    return outcome


@pytest.fixture
def pupils(db: Database) -> Database:
    """The sample families imported, no campaign loaded yet."""
    families = parse_families(SAMPLE.read_bytes(), source="sample.csv").families
    with db.unit_of_work() as uow:
        import_families(uow.session, "malakoff", families, now=NOW)
        uow.commit()
    return db


def _advance(db: Database, ref: str, to_state: str) -> None:
    """Move a dossier the way the engine does: its state and an audit row together."""
    with db.unit_of_work() as uow:
        dossier = get_dossier(uow.session, ref)
        from_state, dossier.state = dossier.state, to_state
        add_audit_row(
            uow.session,
            dossier,
            event="verify_identity",
            from_state=from_state,
            to_state=to_state,
            actor="secretariat",
            role="staff",
            reason=None,
            effective_at=NOW,
        )
        uow.commit()


def _scalar(db: Database, query: object) -> object:
    with db.unit_of_work(read_only=True) as uow:
        return uow.session.execute(query).scalar_one()  # type: ignore[call-overload]


def _dossiers(db: Database) -> dict[str, tuple[str, int, int]]:
    """``{ref: (state, campaign version, version)}``."""
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(Dossier.ref, Dossier.state, Dossier.campaign_version, Dossier.version)
        )
        return {ref: (state, cv, v) for ref, state, cv, v in rows}


def _audit_count(db: Database) -> int:
    return int(_scalar(db, select(func.count()).select_from(AuditRow)))  # type: ignore[arg-type]


def test_loading_opens_one_dossier_per_continuing_pupil_with_an_open_audit_row(
    pupils: Database,
) -> None:
    outcome = _load(pupils, read_campaign(BUNDLED))
    assert (outcome.version, outcome.created, outcome.window) == (1, True, "reenrolment")
    assert (outcome.opened, outcome.already_open) == (20, 0)
    dossiers = _dossiers(pupils)
    assert len(dossiers) == 20
    assert dossiers[ZOE] == ("invited", 1, 1)
    with pupils.unit_of_work(read_only=True) as uow:
        rows = list(uow.session.execute(select(AuditRow)).scalars())
        assert verify_audit(uow.session) is None
        answers = uow.session.execute(select(func.count()).select_from(Answer)).scalar_one()
    assert answers == 20
    assert {(r.seq, r.event, r.from_state, r.to_state, r.actor, r.role) for r in rows} == {
        (1, "open", "", "invited", "secretariat", "staff")
    }
    assert {(r.effective_at, r.campaign_version) for r in rows} == {(NOW, 1)}


def test_new_pupils_and_pupils_of_other_sites_get_no_dossier(pupils: Database) -> None:
    families = parse_families(SAMPLE.read_bytes(), source="sample.csv").families
    with pupils.unit_of_work() as uow:
        import_families(uow.session, "vanves", families, now=NOW)
        uow.session.execute(update(Student).where(Student.ref == "S0102").values(status="new"))
        uow.commit()
    assert _load(pupils, read_campaign(BUNDLED)).opened == 19
    assert "malakoff-2023-2024-S0102" not in _dossiers(pupils)


def test_reloading_an_unchanged_file_adds_no_version_but_opens_dossiers_of_new_pupils(
    pupils: Database,
) -> None:
    loaded = read_campaign(BUNDLED)
    _load(pupils, loaded)
    newcomers = parse_families(SAMPLE.read_bytes(), source="sample.csv").families[:1]
    newcomers = [
        f.model_copy(
            update={
                "ref": "F100",
                "students": [s.model_copy(update={"ref": f"S9{s.ref}"}) for s in f.students],
            }
        )
        for f in newcomers
    ]
    with pupils.unit_of_work() as uow:
        import_families(uow.session, "malakoff", newcomers, now=NOW)
        uow.commit()
    again = _load(pupils, loaded)
    assert (again.version, again.created, again.opened, again.already_open) == (1, False, 3, 20)
    assert _scalar(pupils, select(func.count()).select_from(CampaignVersion)) == 1
    assert _audit_count(pupils) == 23
    with pupils.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session) is None


def test_reloading_with_other_dates_makes_a_new_version_and_keeps_every_state(
    pupils: Database, tmp_path: Path
) -> None:
    _load(pupils, read_campaign(BUNDLED))
    _advance(pupils, ZOE, "identity_verified")
    later = _campaign(tmp_path, ("closes: 2023-05-24", "closes: 2023-05-31"))
    outcome = _load(pupils, later)
    assert (outcome.version, outcome.created, outcome.moved, outcome.opened) == (2, True, 20, 0)
    dossiers = _dossiers(pupils)
    assert dossiers[ZOE] == ("identity_verified", 2, 3)
    assert {cv for _, cv, _ in dossiers.values()} == {2}
    assert _audit_count(pupils) == 21
    with pupils.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session) is None


def test_reloading_without_a_state_that_dossiers_are_in_is_refused_with_their_refs(
    pupils: Database, tmp_path: Path
) -> None:
    _load(pupils, read_campaign(BUNDLED))
    _advance(pupils, ZOE, "identity_verified")
    renamed = _campaign(tmp_path, ("identity_verified", "checked"))
    with pytest.raises(WorkflowChanged) as refused:
        _load(pupils, renamed)
    assert refused.value.exit_code == 1
    assert f"reenrolment.identity_verified: 1 dossier ({ZOE})" in str(refused.value)
    assert "--map OLD=NEW" in str(refused.value)
    assert _scalar(pupils, select(func.max(CampaignVersion.version))) == 1
    assert _dossiers(pupils)[ZOE] == ("identity_verified", 1, 2)


def test_a_map_moves_the_dossiers_of_a_removed_state_with_an_audit_row_each(
    pupils: Database, tmp_path: Path
) -> None:
    _load(pupils, read_campaign(BUNDLED))
    _advance(pupils, ZOE, "identity_verified")
    renamed = _campaign(tmp_path, ("identity_verified", "checked"))
    outcome = _load(pupils, renamed, identity_verified="checked")
    assert [(r.from_state, r.to_state, r.count) for r in outcome.remapped] == [
        ("identity_verified", "checked", 1)
    ]
    assert (outcome.version, outcome.moved) == (2, 19)
    assert _dossiers(pupils)[ZOE] == ("checked", 2, 3)
    with pupils.unit_of_work(read_only=True) as uow:
        last = uow.session.execute(
            select(AuditRow).order_by(AuditRow.id.desc()).limit(1)  # type: ignore[union-attr]
        ).scalar_one()
        assert verify_audit(uow.session) is None
    assert (last.seq, last.event, last.from_state, last.to_state) == (
        3,
        "remap",
        "identity_verified",
        "checked",
    )
    assert last.reason == "campaign reload v2: identity_verified→checked"
    assert (last.actor, last.role, last.campaign_version) == ("secretariat", "staff", 2)


@pytest.mark.parametrize(
    ("remap", "message"),
    [
        (
            {"identity_verified": "checked", "invited": "checked"},
            "--map invited=checked: no dossier is in a state 'invited' the file removed",
        ),
        ({"identity_verified": "nowhere"}, "no state 'nowhere' in reenrolment"),
    ],
)
def test_a_map_that_does_not_fit_is_bad_input(
    pupils: Database, tmp_path: Path, remap: dict[str, str], message: str
) -> None:
    _load(pupils, read_campaign(BUNDLED))
    _advance(pupils, ZOE, "identity_verified")
    renamed = _campaign(tmp_path, ("identity_verified", "checked"))
    with pytest.raises(BadInput, match=message):
        _load(pupils, renamed, **remap)
    assert _scalar(pupils, select(func.max(CampaignVersion.version))) == 1
