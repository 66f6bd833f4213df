"""Numbers people can follow: rounds numbered in each community, ballot options named beside
idea numbers, ideas that come back, reminders asked for twice, plurals, and titles fit for SMS."""

import json
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.text.catalogue import FREE_TEXT, LOCALE_DIR, PLACEHOLDER_MAX, PLURALS, render
from channels.segments import count_segments
from models import OutboxMessage, Round
from models.engine import make_engine
from models.migrate import upgrade
from scheduler.service import wanted_jobs
from tests.conftest import PG_SCHEMA, Chat, park_round


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _refused(result) -> str:
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def _member(db, clock, slug: str, phone: str) -> Chat:
    person = Chat(db, clock, slug, phone)
    person.say("hi")
    assert "you're in" in person.reply("YES").lower()
    return person


@pytest.fixture
def two_communities(make_community, community, db, clock, cp):
    """Riverside's round 1 (cancelled, its ideas back on the shortlist), then Hillside's round 1
    (scheduled, global id 2): a member of each."""
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    ann = _member(db, clock, "riverside", "+447700900301")
    bea = _member(db, clock, "hillside", "+447700900302")
    park_round(cp, "riverside", ann.say)
    _ok(cp("round", "cancel", "--community", "riverside", "1"))
    park_round(cp, "hillside", bea.say)
    return ann, bea


def test_each_community_numbers_its_rounds_from_one(cp, two_communities, db):
    for slug in ("riverside", "hillside"):
        shown = _ok(cp("round", "show", "--community", slug, "1"))
        assert shown.startswith("Round 1: Park (")
    cancelled = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    hill = json.loads(_ok(cp("round", "show", "--community", "hillside", "1", "--json")))
    assert (cancelled["number"], cancelled["status"]) == (1, "cancelled")
    assert (hill["number"], hill["community"], hill["status"]) == (1, "hillside", "scheduled")
    assert hill["id"] != hill["number"]  # the global id stays, for compatibility
    assert "no round 2 in hillside" in _refused(cp("round", "show", "--community", "hillside", "2"))
    _ok(cp("round", "open", "--community", "hillside", "1"))
    with db.transaction() as session:
        assert session.scalar(select(Round.status).where(Round.id == hill["id"])) == "open"


def test_the_next_round_in_a_community_takes_its_next_number(cp, two_communities):
    created = _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "More",
            "--method",
            "approval",
            "--ideas",
            "1,2",
            "--opens",
            "2026-11-27 09:00",
            "--closes",
            "2026-11-30 18:00",
        )
    )
    assert created.startswith("Round 2 scheduled: More, 2 options")
    table = _ok(cp("round", "list", "--community", "riverside")).splitlines()
    assert table[0].split()[:2] == ["#", "STATUS"]
    assert [line.split()[0] for line in table[1:]] == ["2", "1"]


def test_the_api_takes_the_number_in_each_community(cp, client, two_communities):
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
            "--community",
            "hillside",
            "--password",
            "a long passphrase",
        ).exit_code
        == 0
    )
    token = _ok(cp("token", "create", "--email", "sam@example.org", "--name", "laptop")).strip()
    auth = {"Authorization": f"Bearer {token}"}
    for slug, status in (("riverside", "cancelled"), ("hillside", "scheduled")):
        response = client.get(f"/api/v1/communities/{slug}/rounds/1", headers=auth)
        assert response.status_code == 200, response.data
        assert (response.json["number"], response.json["status"]) == (1, status)
    assert client.get("/api/v1/communities/hillside/rounds/2", headers=auth).status_code == 404
    opened = client.post("/api/v1/communities/hillside/rounds/1/open", headers=auth)
    assert opened.status_code == 200 and opened.json["round"]["status"] == "open"
    export = client.get("/api/v1/communities/hillside/rounds/1/export?format=pb", headers=auth)
    assert 'filename="round-1.pb"' in export.headers["Content-Disposition"]


def test_scheduler_jobs_keep_the_global_id(two_communities, db, clock):
    with db.transaction() as session:
        ids = {job.id for job in wanted_jobs(session, clock())}
        hill = session.scalar(select(Round.id).where(Round.status == "scheduled"))
    assert ids == {f"round-{hill}-close"}  # it opened at 09:00: only its close is to come


def test_imported_rounds_are_marked_in_the_list(cp, two_communities, tmp_path):
    _ann, bea = two_communities
    _ok(cp("round", "open", "--community", "hillside", "1"))
    assert "your vote is in" in bea.say("1")[-1]
    _ok(cp("round", "close", "--community", "hillside", "1"))
    path = tmp_path / "round.pb"
    _ok(cp("round", "export", "--community", "hillside", "1", "--output", str(path)))
    assert _ok(cp("round", "import", "--community", "hillside", str(path))).startswith(
        "Imported round 2: 2 options, 1 ballot;"
    )
    rows = {
        line.split()[0]: line for line in _ok(cp("round", "list", "--community", "hillside")).splitlines()[1:]
    }
    assert "closed (imported)" in rows["2"] and "imported" not in rows["1"]
    assert "(closed (imported), approval" in _ok(cp("round", "show", "--community", "hillside", "2"))


def _empty_database(backend, tmp_path):
    """An engine on an empty database (SQLite) or schema (PostgreSQL), and what to drop after."""
    if backend.name == "sqlite":
        return make_engine(f"sqlite:///{tmp_path}/migrating.db"), None
    schema = f"{PG_SCHEMA}_migrating"
    admin = make_engine(backend.url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(backend.url).update_query_dict({"options": f"-csearch_path={schema}"})
    return make_engine(url.render_as_string(hide_password=False)), (admin, schema)


def test_the_migration_numbers_existing_rounds_in_each_community(backend, tmp_path):
    engine, cleanup = _empty_database(backend, tmp_path)
    when = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:  # the tables as they were at 0008
            for slug in ("a", "b"):
                connection.execute(
                    text(
                        "INSERT INTO community (slug, name, join_code, timezone, languages, currency, "
                        "budget_total_pence, verification, postcode_areas, digest_recipients, "
                        "digest_weekday, digest_time, created_at) VALUES (:slug, :slug, :slug, "
                        "'Europe/London', '[\"en\"]', 'GBP', 100, 'none', '[]', '[]', 0, '09:00', :at)"
                    ),
                    {"slug": slug, "at": when},
                )
            for community_id in (1, 2, 1, 2, 1):
                connection.execute(
                    text(
                        "INSERT INTO round (community_id, title, method, rule, budget_pence, status, "
                        "opens_at, closes_at, imported, created_at) VALUES (:c, 'Old', 'approval', "
                        "'greedy', 1, 'closed', :at, :at, false, :at)"
                    ),
                    {"c": community_id, "at": when},
                )
        upgrade(engine, "0009")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, community_id, number FROM round ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, 1, 1), (2, 2, 1), (3, 1, 2), (4, 2, 2), (5, 1, 3)]
        with pytest.raises(IntegrityError, match="(?i)unique"), engine.begin() as connection:
            connection.execute(text("UPDATE round SET number = 1 WHERE id = 3"))
    finally:
        engine.dispose()
        if cleanup:
            admin, schema = cleanup
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()


# -- Option numbers beside idea numbers ------------------------------------------------------


@pytest.fixture
def three_ideas(community, db, clock, cp):
    """Ann gave ideas #1 to #3 (£1k each); they are shortlisted; Bob is a member too."""
    ann = _member(db, clock, "riverside", "+447700900401")
    bob = _member(db, clock, "riverside", "+447700900402")
    for idea in ("IDEA benches", "IDEA a mural", "IDEA lights"):
        ann.say(idea)
        ann.say("£1k")
    for number in ("1", "2", "3"):
        _ok(cp("ideas", "shortlist", "--community", "riverside", number))
    ann.inbox()
    return ann, bob


def _round_of(cp, ideas: str, title: str = "Park", *extra: str) -> str:
    return _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            title,
            "--method",
            "choose-one",
            "--ideas",
            ideas,
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
            *extra,
        )
    )


def test_authors_hear_their_idea_number_and_its_option_number(cp, three_ideas):
    ann, bob = three_ideas
    _round_of(cp, "3,1", "Park", "--budget", "£1,000")  # idea #3 is option 1, idea #1 option 2
    _ok(cp("round", "open", "--community", "riverside", "1"))
    ann.inbox()
    bob.say("1")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    news = [t for t in ann.inbox() if "your idea" in t.lower()]
    assert "Great news: your idea #3, option 1 in the vote, won and is funded with £1,000!" in news
    assert (
        "Your idea #1, option 2, was not funded this time: nobody voted for it. Thank you for sharing it."
    ) in news


# -- Ideas that come back -------------------------------------------------------------------


def test_an_idea_not_funded_can_go_into_a_later_round(cp, three_ideas):
    ann, bob = three_ideas
    _round_of(cp, "1,2", "Park", "--budget", "£1,000")
    _ok(cp("round", "open", "--community", "riverside", "1"))
    bob.say("1")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    ann.inbox()
    assert "shortlisted" in _ok(cp("ideas", "shortlist", "--community", "riverside", "2"))
    assert ann.inbox() == [
        ("Good news: your idea #2 is back on the shortlist for a vote, at a cost of £1,000.")
    ]
    assert _round_of(cp, "2,3", "Again").startswith("Round 2 scheduled")
    funded = cp("ideas", "shortlist", "--community", "riverside", "1")
    assert "idea #1 is funded: only submitted, not funded or rejected ideas" in _refused(funded)


def test_a_rejected_idea_can_be_reconsidered(cp, three_ideas):
    ann, _bob = three_ideas
    _ok(cp("ideas", "reject", "--community", "riverside", "2", "--reason", "Not ours to paint."))
    ann.inbox()
    _ok(cp("ideas", "shortlist", "--community", "riverside", "2", "--cost", "£1,500"))
    assert ann.inbox() == [
        ("Good news: your idea #2 is back on the shortlist for a vote, at a cost of £1,500.")
    ]
    (idea,) = [
        i
        for i in json.loads(_ok(cp("ideas", "list", "--community", "riverside", "--json")))
        if i["number"] == 2
    ]
    assert (idea["status"], idea["reject_reason"]) == ("shortlisted", None)


# -- Reminders asked for twice --------------------------------------------------------------


def test_reminding_twice_says_so_and_sends_nothing(cp, three_ideas, db):
    ann, _bob = three_ideas
    _round_of(cp, "1,2")
    assert "only an open round has reminders" in _refused(
        cp("round", "remind", "--community", "riverside", "1")
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))
    ann.say("1")
    assert _ok(cp("round", "remind", "--community", "riverside", "1")) == (
        "Reminders queued for 1 member of round 1 who had not voted.\n"
    )
    again = cp("round", "remind", "--community", "riverside", "1")
    assert _ok(again) == "Reminders for round 1 were already sent: nothing sent again.\n"
    with db.transaction() as session:
        keys = session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.like("round-remind:%"))
        ).all()
    assert len(keys) == 1


# -- Plurals --------------------------------------------------------------------------------


def test_counts_of_one_read_in_the_singular(cp, three_ideas):
    ann, bob = three_ideas
    bob.say("STOP")
    _round_of(cp, "1,2")
    _ok(cp("round", "open", "--community", "riverside", "1"))
    ann.say("1")
    shown = _ok(cp("round", "show", "--community", "riverside", "1"))
    assert "Ballots: 1 of 1 member\n" in shown
    assert "1. benches (£1,000): 1 vote\n" in shown and "2. a mural (£1,000): 0 votes\n" in shown
    _ok(cp("round", "close", "--community", "riverside", "1"))
    assert "recounted from 1 ballot:" in _ok(cp("round", "recount", "--community", "riverside", "1"))


def test_residents_asked_for_one_choice_read_the_singular(cp, three_ideas):
    ann, _bob = three_ideas
    _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Park",
            "--method",
            "approval",
            "--max-choices",
            "1",
            "--ideas",
            "1,2",
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
        )
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))
    (ballot,) = ann.inbox()
    assert "Reply with up to 1 number, e.g. 2." in ballot
    assert ann.reply("1 2") == "Please choose at most 1 option. Send OPTIONS to see them."


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


@pytest.mark.parametrize("key", ["round_open_short", "how_approval_k", "vote_too_many"])
def test_plural_entries_are_checked_like_the_rest_of_the_catalogue(key):
    """What tests/test_catalogue.py checks for each entry, for both forms of a plural one."""
    entry = PLURALS[key]
    with open(Path(LOCALE_DIR) / "messages.pot", "rb") as handle:
        assert (entry.text, entry.plural) in {m.id for m in read_po(handle)}
    for template, count in ((entry.text, 1), (entry.plural, 2)):
        assert count_segments(template).encoding == "GSM-7"
        names = _placeholders(template)
        assert entry.counted in names and set(names) <= set(PLACEHOLDER_MAX)
        for free in ("W", "ŵ🙂"):
            values = {
                name: (free * 200 if free != "W" and name in FREE_TEXT else "W" * PLACEHOLDER_MAX[name])
                for name in names
            }
            values[entry.counted] = count
            assert count_segments(render(key, **values)).segments <= entry.segments


# -- Titles fit for SMS ---------------------------------------------------------------------


def test_typographic_quotes_and_dashes_in_a_title_become_plain(cp, three_ideas):
    ann, _bob = three_ideas
    created = _round_of(cp, "1,2", "“Green” spaces – Ann’s")
    assert created.startswith('Round 1 scheduled: "Green" spaces - Ann\'s, 2 options')
    _ok(cp("round", "open", "--community", "riverside", "1"))
    (ballot,) = ann.inbox()
    assert ballot.startswith('Vote now! "Green" spaces - Ann\'s\n')


@pytest.mark.parametrize(
    "title, says",
    [
        ("A very long title for a round that residents get", "this one has 48"),
        ("Green spaces 🌳", "'🌳' would make that SMS UCS-2"),
        ("Parc Ŵyn", "'Ŵ' would make that SMS UCS-2"),
    ],
)
def test_a_title_beyond_the_opening_message_is_refused(cp, three_ideas, db, title, says):
    result = cp(
        "round",
        "create",
        "--community",
        "riverside",
        "--title",
        title,
        "--method",
        "choose-one",
        "--ideas",
        "1,2",
        "--opens",
        "2026-11-26 09:00",
        "--closes",
        "2026-11-30 18:00",
    )
    refusal = _refused(result)
    assert "at most 40 characters, in the GSM-7 alphabet, to fit the 1-segment SMS" in refusal
    assert says in refusal
    with db.transaction() as session:
        assert session.scalar(select(Round.id)) is None


def test_the_author_of_a_funded_idea_gets_one_message_after_the_close(db, clock, cp, community):
    from tests.conftest import Chat, park_round

    ann = Chat(db, clock, "riverside", "+447700900777")
    ann.say("hi")
    ann.say("YES")
    bob = Chat(db, clock, "riverside", "+447700900778")
    bob.say("hi")
    bob.say("YES")
    park_round(cp, "riverside", ann.say)  # both ideas are Ann's
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    ann.inbox()
    bob.inbox()
    bob.say("1 2")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    news = ann.inbox()
    assert len(news) == 2 and all("Great news: your idea" in text for text in news)  # one per idea
    assert len(bob.inbox()) == 1  # everyone else: the result
