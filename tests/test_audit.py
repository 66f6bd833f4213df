"""The audit trail: organisers' changes to money, ideas and rounds, with who made them; never a
resident's identity."""

import json

from sqlalchemy import select

from bot.domain import audit
from models import AuditEntry
from scheduler import jobs, runtime
from scheduler.service import build
from tests.conftest import park_round


def _trail(db):
    with db.transaction() as session:
        return [
            (e.actor, e.subject, e.action)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_api_changes_are_recorded_with_the_tokens_organiser(app, db, client, cp, member, clock):
    member.say("IDEA benches")
    member.say("£1k")
    assert (
        cp(
            "organiser",
            "create",
            "--email",
            "sam@example.org",
            "--name",
            "Sam",
            "--community",
            "riverside",
            "--password",
            "a long passphrase",
        ).exit_code
        == 0
    )
    token = cp("token", "create", "--email", "sam@example.org", "--name", "laptop").output.split()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post(
            "/api/v1/communities/riverside/ideas/1/shortlist", json={"cost_pence": 150000}, headers=headers
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/communities/riverside/budget/allocations",
            json={"title": "Benches", "amount_pence": 150000, "idea": 1},
            headers=headers,
        ).status_code
        == 201
    )
    trail = _trail(db)
    assert ("sam@example.org", "idea 1", "status: submitted -> shortlisted; cost: £1,000 -> £1,500") in trail
    assert ("sam@example.org", "allocation 1", "created: title Benches; amount £1,500; idea 1") in trail
    assert all("+44" not in part for entry in trail for part in entry)


def test_residents_own_actions_are_not_in_the_trail(db, member):
    member.say("IDEA benches")
    member.say("£1k")
    member.say("DELETE")
    member.say("DELETE")
    # Only their consent is on record (issue 26), by the row's number, never by address.
    assert _trail(db) == [("resident", "resident 1", _trail(db)[0][2])]
    assert _trail(db)[0][2].startswith("consent: consented by console (welcome/en/")


def test_the_scheduler_is_named_for_what_it_does(app, db, cp, member, clock):
    park_round(cp, "riverside", member.say)
    scheduler = build(app, blocking=False)
    runtime.bind(app, scheduler, "test")
    before = len(_trail(db))
    jobs.open_round(1)
    assert ("scheduler", "round 1", "status: scheduled -> open") in _trail(db)[before:]


def test_nothing_is_recorded_without_someone_acting(db, community):
    assert audit.current_actor() is None
    with db.transaction() as session:
        session.merge(community).name = "Riverside Renamed"
    assert _trail(db) == []
    with audit.acting_as("kim@example.org"), db.transaction() as session:
        session.merge(community).name = "Riverside Again"
    assert _trail(db) == [
        ("kim@example.org", "community riverside", "name: Riverside Renamed -> Riverside Again")
    ]
    assert json.dumps(_trail(db))  # plain text, nothing a resident wrote about themselves


def test_the_audit_command_lists_who_did_what(cp, member, monkeypatch):
    member.say("IDEA benches")
    member.say("£1k")
    assert cp("ideas", "shortlist", "--community", "riverside", "1").exit_code == 0
    monkeypatch.setenv("COMMONPURSE_ORGANISER", "kim@example.org")
    assert (
        cp(
            "budget", "allocate", "--community", "riverside", "--amount", "£500", "--title", "Benches"
        ).exit_code
        == 0
    )
    assert (
        cp(
            "budget",
            "spend",
            "--community",
            "riverside",
            "--amount",
            "£100",
            "--description",
            "Bolts",
            "--allocation",
            "1",
        ).exit_code
        == 0
    )
    assert (
        cp(
            "budget",
            "void",
            "--community",
            "riverside",
            "--spend",
            "1",
            "--reason",
            "typed twice",
            "--as",
            "lee@example.org",
        ).exit_code
        == 0
    )
    listing = cp("audit", "--community", "riverside").output
    assert listing.splitlines()[0].split() == ["WHEN", "(UTC)", "WHO", "WHAT", "CHANGE"]
    assert "status: submitted -> shortlisted" in listing.splitlines()[2]  # after the consent
    rows = json.loads(cp("audit", "--community", "riverside", "--json").output)
    rows = [r for r in rows if r["actor"] != "resident"]  # their consent, on record (issue 26)
    assert [(r["actor"], r["subject"]) for r in rows] == [
        ("cli", "idea 1"),
        ("kim@example.org", "allocation 1"),
        ("kim@example.org", "spending 1"),
        ("lee@example.org", "correction 1"),
    ]
    assert rows[0]["action"] == "status: submitted -> shortlisted"
    assert "+44" not in listing
    member.say("IDEA lights")  # a resident after a command: not the command's doing
    assert len(json.loads(cp("audit", "--community", "riverside", "--json").output)) == 5  # with the consent
