"""Model-based test of the dossier engine (Hypothesis ``RuleBasedStateMachine``).

Each example seeds a fresh family (one or two pupils: a child, an éveil pupil, a dancer,
a pupil who turns 18 on the first day of the school year, one who turns 18 a day later)
in one SQLite file shared by the whole session, its dossiers invited or already a step or
two further (seeded with their audit rows), then takes random steps through the real
services:
``fire`` with ``SqlDossierStore`` in a unit of work, documents through the document
service (valid, expired, unsigned, of the wrong year, of an unknown kind, not an image at
all) and staff reviews, answers, deadline extensions, and the CLI's « reopen with a new
deadline » (both in one unit of work). Actors: a guardian of the family (address in
capitals too), another family's guardian, the pupil acting as an adult, a sibling, staff,
the system. Times: before, at, inside and after the window, its last microsecond
(2023-05-24T21:59:59.999999Z), the last microsecond of an extension, in four time zones.

``oracle`` predicts every step (success, or the refusal with the code of every unmet
requirement). After every step the database must match the model: states the workflow
declares, final states left only by a staff « reopen », one audit row per successful
transition (an automatic confirmation is one more) and per document or correction,
intact hash chains, one outbox row per message and no idempotency key twice; every
refusal is explained, in French when it is about requirements.

The rules are in ``machine``, the model in ``oracle``, what is drawn in ``strategies``.
``DACAPO_MODEL_EXAMPLES`` (2,000 by default, the two tests together) runs a longer soak.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import initialize, run_state_machine_as_test
from sqlalchemy import func, select

from dacapo.campaigns.schema import Role
from dacapo.engine.errors import GuardFailed
from dacapo.engine.services import fire
from dacapo.rules.snapshot import Actor
from dacapo.store.audit import verify_audit
from dacapo.store.database import Database, open_database
from dacapo.store.documents import DocumentFacts, Owner, add_document
from dacapo.store.engine_port import SqlDossierStore
from dacapo.store.tables import Dossier
from tests.integration.ready_dossiers import seed_family
from tests.reliability.campaigns import bundled, load
from tests.reliability.conftest import ModelEnv
from tests.reliability.machine import DossierMachine
from tests.reliability.seeding import Profile, seed
from tests.reliability.strategies import INSIDE, profile, profiles
from tests.unit.files.samples import pdf

EXAMPLES = int(os.environ.get("DACAPO_MODEL_EXAMPLES", "2000"))  # in all, both tests together
STEPS = 5  # random steps after the family's first walk
# The first family of one pupil who turns 18 the day after the school year starts (the
# pupil's kind is a digit of ``profile``'s mixed-radix number, not its lowest one).
NEARLY_ADULT = next(n for n in range(10_000) if profile(n, 1).kinds == ("nearly_adult",))


def machine(env: ModelEnv, pupils: int) -> type[DossierMachine]:
    """The state machine on ``env``'s database, for families of ``pupils`` pupils."""

    class OnTheSessionFile(DossierMachine):
        @initialize(profile=profiles(pupils))
        def a_family(self, profile: Profile) -> None:
            self.seed_family(profile)

    OnTheSessionFile.env = env
    return OnTheSessionFile


@pytest.mark.slow
@pytest.mark.parametrize("pupils", [1, 2])
def test_random_steps_keep_every_invariant_of_the_engine(model_env: ModelEnv, pupils: int) -> None:
    """Half the examples on families of one pupil, half on two (who share documents)."""
    examples = EXAMPLES // 2
    started = time.process_time()
    run_state_machine_as_test(
        machine(model_env, pupils),
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    with model_env.db.unit_of_work(read_only=True) as uow:
        assert verify_audit(uow.session) is None  # every chain of the session's file
        seeded = uow.session.execute(select(func.count()).select_from(Dossier)).scalar_one()
    assert seeded >= examples  # each example seeded a family of its own
    spent = time.process_time() - started
    print(f"model, families of {pupils}: {examples} examples, {spent:.1f} s CPU")


# Who may add documents, and which definition judges a dossier


def test_a_minor_pupil_cannot_add_documents_as_an_adult(db: Database, tmp_path: Path) -> None:
    load(db)
    with db.engine.begin() as connection:
        family = seed(connection, 1, profile(NEARLY_ADULT, 1))
    [pupil] = family.pupils
    assert pupil.kind == "nearly_adult"
    minor = Actor(Role.ADULT_STUDENT, pupil.student_ref)

    with db.unit_of_work() as uow, pytest.raises(GuardFailed) as refused:
        fire(SqlDossierStore(uow.session), pupil.ref, "withdraw", minor, now=INSIDE)
    assert refused.value.codes == ["actor.student_minor"]
    with db.unit_of_work() as uow, pytest.raises(GuardFailed) as refused_too:
        add_document(
            uow.session, "payment_form", pdf(), Owner(dossier_ref=pupil.ref),
            DocumentFacts(signed=True), original_name="modalités.pdf",
            store_dir=tmp_path / "documents", max_bytes=1 << 20, actor=minor, now=INSIDE,
        )  # fmt: skip
    assert refused_too.value.codes == ["actor.student_minor"]
    [why] = refused_too.value.reasons
    assert why.endswith("n'a pas 18 ans au 01/09/2023 : un responsable doit agir"), why
    assert why in refused.value.reasons  # the very sentence `fire` gives
    assert not (tmp_path / "documents").exists()  # refused before the file was stored


def test_two_databases_with_different_workflows_under_one_version_keep_their_own(
    tmp_path: Path,
) -> None:
    campaign = bundled().campaign
    workflow = campaign.workflows["reenrolment"]
    staff_only = [
        t.model_copy(update={"by": [Role.STAFF]}) if t.event == "withdraw" else t
        for t in workflow.transitions
    ]
    stricter = campaign.model_copy(
        update={
            "workflows": {
                **campaign.workflows,
                "reenrolment": workflow.model_copy(update={"transitions": staff_only}),
            }
        }
    )
    anne = Actor(Role.GUARDIAN, "f0100.anne@example.org")
    states = []
    for name, definition in (("bundled", campaign), ("stricter", stricter)):
        database = open_database(None, tmp_path / name)
        try:
            load(database, None if name == "bundled" else definition)
            [ref] = seed_family(database, pupils=[("S0100", "Léa")])
            try:
                with database.unit_of_work() as uow:
                    states.append(fire(SqlDossierStore(uow.session), ref, "withdraw", anne,
                                       now=INSIDE).state)  # fmt: skip
                    uow.commit()
            except GuardFailed as refused:
                states.append(refused.codes[0])
        finally:
            database.dispose()

    assert states == ["withdrawn", "actor.role_not_allowed"]  # the stricter one refuses Anne
