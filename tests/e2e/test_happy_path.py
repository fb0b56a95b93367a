"""One family's re-enrolment, start to finish, through the CLI only.

On a fresh data directory with the bundled campaign, at 15 May 2023 10:00 in
Malakoff: import, load, correct, answer, add the evidence, and advance Zoé
through the four steps to `confirmed`; then her brother's checklist shows the
family documents as already supplied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import ROOT, Result
from tests.unit.files.samples import jpeg, pdf

Dacapo = Callable[..., Result]
NOW = "2023-05-15T10:00:00+02:00"
ZOE = "malakoff-2023-2024-S0101"
LEO = "malakoff-2023-2024-S0102"
MARIE = "guardian:marie.dupont@example.fr"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def test_a_family_re_enrols_a_pupil_from_import_to_confirmation(
    dacapo: Dacapo, tmp_path: Path
) -> None:
    def run(*args: str) -> Result:
        return dacapo("--now", NOW, *args)

    sample = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
    ok(run("family", "import", str(sample), "--site", "malakoff"))
    ok(run("campaign", "load", str(ROOT / "campaign-2023-2024.yaml")))

    # The family checks its details (« Famille », « Identité ») and answers.
    ok(run("dossier", "update", ZOE, "--set", "student.school_level=4e", "--actor", MARIE))
    ok(run("dossier", "answer", ZOE, "--continue", "yes", "--actor", MARIE))
    ok(run("dossier", "advance", ZOE, "verify_identity", "--actor", MARIE))

    # Evidence: the signed payment form and the Quotient Familial card (family),
    # a recent photo (pupil).
    (tmp_path / "form.pdf").write_bytes(pdf())
    (tmp_path / "qf.pdf").write_bytes(pdf(catalog=b" /Lang (fr-FR)"))
    (tmp_path / "photo.jpg").write_bytes(jpeg())
    ok(run("document", "add", "payment_form", str(tmp_path / "form.pdf"), "--dossier", ZOE,
           "--signed", "--actor", MARIE))  # fmt: skip
    ok(run("document", "add", "quotient_card", str(tmp_path / "qf.pdf"), "--dossier", ZOE,
           "--valid-from", "01/01/2023", "--valid-until", "31/12/2023",
           "--actor", MARIE))  # fmt: skip
    ok(run("document", "add", "id_photo", str(tmp_path / "photo.jpg"), "--dossier", ZOE,
           "--issued", "2023-04-20", "--actor", MARIE))  # fmt: skip
    ok(run("dossier", "advance", ZOE, "supply_documents", "--actor", MARIE))

    # « J'accepte »: the rules are accepted and the confirmation follows.
    accepted = ok(run("dossier", "advance", ZOE, "accept_rules", "--actor", MARIE))
    assert "confirmed" in accepted.stdout

    shown = json.loads(ok(run("dossier", "show", ZOE, "--json")).stdout)
    assert shown["state"] == "confirmed"
    audit = json.loads(ok(run("dossier", "audit", ZOE, "--json")).stdout)
    events = [row["event"] for row in audit]
    for step in ("open", "verify_identity", "supply_documents", "accept_rules", "confirm"):
        assert step in events
    assert events.index("verify_identity") < events.index("supply_documents")
    assert events.index("accept_rules") < events.index("confirm")

    # Léo's checklist: the family's documents are already there.
    check = json.loads(ok(run("dossier", "check", LEO, "--json")).stdout)
    findings = {f["code"]: f["status"] for f in check["findings"]}
    assert findings["documents.present:payment_form"] == "met"
    assert findings["documents.present:income_evidence"] == "met"
    assert findings.get("documents.missing:id_photo") == "unmet"

    assert ok(run("audit", "verify")).stdout.startswith("Audit trail intact")


def test_the_same_step_after_the_close_is_refused_then_accepted_for_staff_with_a_reason(
    dacapo: Dacapo,
) -> None:
    sample = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
    ok(dacapo("--now", NOW, "family", "import", str(sample), "--site", "malakoff"))
    ok(dacapo("--now", NOW, "campaign", "load", str(ROOT / "campaign-2023-2024.yaml")))
    late = "2023-05-25T00:00:00+02:00"
    refused = dacapo("--now", late, "dossier", "advance", ZOE, "verify_identity", "--actor", MARIE)
    assert refused.exit_code == 1
    assert "close depuis le 25/05/2023" in refused.stderr
    staff = dacapo("--now", late, "dossier", "advance", ZOE, "verify_identity")
    assert staff.exit_code == 1
    accepted = dacapo(
        "--now", late, "dossier", "advance", ZOE, "verify_identity",
        "--reason", "Dossier papier déposé à l'accueil le 24 mai",
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.stderr


def test_what_if_runs_are_marked_simulated_and_logged(dacapo: Dacapo) -> None:
    from structlog.testing import capture_logs

    sample = ROOT / "tests" / "data" / "csv" / "malakoff-sample.csv"
    ok(dacapo("--now", NOW, "family", "import", str(sample), "--site", "malakoff"))
    ok(dacapo("campaign", "load", str(ROOT / "campaign-2023-2024.yaml")))
    with capture_logs() as logs:
        ok(dacapo("--now", NOW, "dossier", "withdraw", LEO, "--actor", MARIE))
    assert [
        (e["event"], e["dossier"], e["from_state"], e["to_state"])
        for e in logs
        if e["event"] == "dossier.transition"
    ] == [("dossier.transition", LEO, "invited", "withdrawn")]
    audit = json.loads(ok(dacapo("dossier", "audit", LEO, "--json")).stdout)
    assert [(row["event"], row["simulated"]) for row in audit] == [
        ("open", False),
        ("withdraw", True),
    ]
