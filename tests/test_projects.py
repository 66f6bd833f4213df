"""Funded projects after the vote: residents ask PROJECT n and hear its status and latest news;
organisers post updates (CLI, API, dashboard); supporters hear once that it is delivered; the
public page shows each project's progress beside the money."""

import html
import json
import re

import pytest
from sqlalchemy import select

from bot.text.catalogue import render
from bot.text.times import Moment
from models import OutboxMessage
from tests.conftest import Chat, park_round
from tests.dashboard_helpers import make_organiser, post, sign_in

TZ = "Europe/London"


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def _status(status: str) -> str:
    return render(f"project_status_{status}", "en")


def _delivered(number: int, title: str, update: str) -> str:
    return render(
        "project_delivered", "en", number=number, title=title, update=update, community="Riverside Big Local"
    )


@pytest.fixture
def people(db, clock, cp, member):
    """Round 1, "Park", closed with both ideas funded (1 benches, 2 a mural). Ann (who gave the
    ideas) chose 1 and 2, Bob 1, Dan 2; Cat joined but did not vote. Inboxes emptied."""
    ann = member
    others = [Chat(db, clock, "riverside", f"+4477009002{n:02d}") for n in range(3)]
    for person in others:
        person.say("hi")
        person.say("YES")
    bob, cat, dan = others
    park_round(cp, "riverside", ann.say)
    _ok(cp("round", "open", "--community", "riverside", "1"))
    for person, choices in ((ann, "1 2"), (bob, "1"), (dan, "2")):
        person.inbox()
        assert "your vote is in" in person.reply(choices)
    _ok(cp("round", "close", "--community", "riverside", "1"))
    for person in (ann, bob, cat, dan):
        person.inbox()
    return {"ann": ann, "bob": bob, "cat": cat, "dan": dan}


def test_before_any_vote_there_is_no_project(cp, member):
    assert member.reply("PROJECT") == render("project_none", "en")
    assert member.reply("PROJECT 1") == render("project_none", "en")
    assert _ok(cp("project", "list", "--community", "riverside")).strip() == "(none)"


def test_residents_follow_a_project_from_funded_to_news(cp, clock, people):
    bob, cat = people["bob"], people["cat"]
    assert bob.reply("PROJECT 1") == render(
        "project_no_news", "en", number=1, title="benches", status=_status("funded")
    )
    out = _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "1",
            "--status",
            "in-progress",
            "--note",
            "Builders start Monday",
        )
    )
    assert out.strip() == "Project 1 is in progress; update posted."
    news = render(
        "project",
        "en",
        number=1,
        title="benches",
        status=_status("in_progress"),
        date=Moment(clock(), TZ, with_time=False),
        update="Builders start Monday",
    )
    assert bob.reply("project 1") == news
    assert cat.reply("PROJECT #1") == news  # did not vote: may still ask
    # A change of status alone is no news: the latest note stays the news.
    clock.advance(days=3)
    _ok(cp("project", "update", "--community", "riverside", "2", "--status", "in progress"))
    assert cat.reply("PROJECT 2") == render(
        "project_no_news", "en", number=2, title="a mural", status=_status("in_progress")
    )
    assert bob.inbox() == [] and cat.inbox() == []  # nobody is messaged for progress


def test_project_alone_lists_them_with_a_button_each(people):
    bob = people["bob"]
    assert bob.reply("PROJECT") == render("project_ask", "en", numbers="1, 2", number=1)
    assert [(c.label, c.payload) for c in bob.channel.sent[-1].choices] == [
        ("1: benches", "PROJECT 1"),
        ("2: a mural", "PROJECT 2"),
    ]
    assert bob.reply("PROJECT 99") == render("project_unknown", "en", number=99, numbers="1, 2")
    assert [c.payload for c in bob.channel.sent[-1].choices] == ["PROJECT 1", "PROJECT 2"]
    # The button's payload is itself an answer.
    assert bob.reply("PROJECT 2").startswith("Project 2, a mural:")


def test_supporters_hear_once_that_it_is_delivered(db, cp, people):
    ann, bob, cat, dan = people["ann"], people["bob"], people["cat"], people["dan"]
    out = _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "1",
            "--status",
            "delivered",
            "--note",
            "The benches are in.",
        )
    )
    assert "Told 2 supporters." in out
    told = _delivered(1, "benches", "The benches are in.")
    assert ann.inbox() == [told] and bob.inbox() == [told]
    assert cat.inbox() == [] and dan.inbox() == []  # no vote, or not for this one
    # Run again, with the same note or a new one: recorded once, told once.
    again = _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "1",
            "--status",
            "delivered",
            "--note",
            "The benches are in.",
        )
    )
    assert "nothing changed" in again
    assert "Told" not in _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "1",
            "--status",
            "delivered",
            "--note",
            "Plaque to follow.",
        )
    )
    assert all(p.inbox() == [] for p in (ann, bob, cat, dan))
    with db.transaction() as session:
        keys = session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.like("project-delivered:%")
            )
        ).all()
    assert len(keys) == 2
    assert bob.reply("PROJECT 1").startswith(f"Project 1, benches: {_status('delivered')} Latest news (")


def test_a_stopped_supporter_is_not_told(cp, people):
    ann, dan = people["ann"], people["dan"]
    dan.say("STOP")
    _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "2",
            "--status",
            "delivered",
            "--note",
            "Mural finished.",
        )
    )
    assert ann.inbox() == [_delivered(2, "a mural", "Mural finished.")]
    assert dan.inbox() == []
    dan.say("START")
    dan.inbox()
    assert all("Mural finished" not in text for text in dan.channel.texts())


def test_welsh_and_polish_residents_ask_and_are_told_in_their_language(cp, clock, people):
    _ok(cp("community", "languages", "--community", "riverside", "en", "cy", "pl"))
    ann, bob = people["ann"], people["bob"]
    ann.reply("IAITH CY")
    bob.reply("JĘZYK PL")
    assert ann.reply("PROSIECT 1") == render(
        "project_no_news", "cy", number=1, title="benches", status=render("project_status_funded", "cy")
    )
    _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "1",
            "--status",
            "delivered",
            "--note",
            "Benches in.",
        )
    )
    assert bob.inbox() == [
        render(
            "project_delivered",
            "pl",
            number=1,
            title="benches",
            update="Benches in.",
            community="Riverside Big Local",
        )
    ]
    assert bob.reply("PROJEKT 1") == render(
        "project",
        "pl",
        number=1,
        title="benches",
        status=render("project_status_delivered", "pl"),
        date=Moment(clock(), TZ, with_time=False),
        update="Benches in.",
    )


@pytest.mark.parametrize(
    "steps, args, message",
    [
        ([], ["1", "--status", "finished"], "'finished' is not a project status"),
        ([], ["99", "--note", "x"], "no project 99 in riverside (funded projects: 1, 2)"),
        ([], ["3", "--note", "x"], "no project 3"),
        ([], ["1"], "an update needs a status, a note, or both"),
        ([], ["1", "--note", "x" * 1001], "a note is at most 1000 characters"),
        (
            [["1", "--status", "delivered"]],
            ["1", "--status", "funded"],
            "project 1 is delivered: it cannot go back to funded",
        ),
        (
            [["1", "--status", "delivered"]],
            ["1", "--status", "cancelled"],
            "project 1 is delivered: it cannot be cancelled",
        ),
        (
            [["1", "--status", "cancelled"]],
            ["1", "--status", "in-progress"],
            "project 1 was cancelled: its status cannot change",
        ),
    ],
)
def test_the_cli_refuses_bad_updates_and_changes_nothing(cp, people, steps, args, message):
    for step in steps:
        _ok(cp("project", "update", "--community", "riverside", *step))
    before = json.loads(_ok(cp("project", "list", "--community", "riverside", "--json")))
    _refused(cp("project", "update", "--community", "riverside", *args), message)
    assert json.loads(_ok(cp("project", "list", "--community", "riverside", "--json"))) == before


def test_the_cli_lists_projects(cp, people):
    _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "2",
            "--status",
            "in_progress",
            "--note",
            "Artist chosen",
            "--as",
            "sam@example.org",
        )
    )
    rows = json.loads(_ok(cp("project", "list", "--community", "riverside", "--json")))
    assert [(r["number"], r["title"], r["status"], r["supporters"]) for r in rows] == [
        (1, "benches", "funded", 2),
        (2, "a mural", "in_progress", 2),
    ]
    assert rows[0]["updates"] == []
    assert [(u["text"], u["status"], u["organiser"]) for u in rows[1]["updates"]] == [
        ("Artist chosen", "in_progress", "sam@example.org")
    ]
    table = _ok(cp("project", "list", "--community", "riverside")).splitlines()
    assert table[0].split() == ["#", "STATUS", "SUPPORTERS", "LATEST", "PROJECT"]
    assert re.match(r"1\s+funded\s+2\s+-\s+benches$", table[1])
    assert re.match(r"2\s+in progress\s+2\s+\d{4}-\d\d-\d\d Artist chosen\s+a mural$", table[2])
    _refused(cp("project", "list", "--community", "nowhere"), "no community with slug 'nowhere'")


@pytest.fixture
def api(client, cp, people):
    _ok(
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
        )
    )
    token = _ok(cp("token", "create", "--email", "sam@example.org", "--name", "laptop")).strip()

    def call(method: str, path: str, json=None):
        response = getattr(client, method)(
            "/api/v1/communities/riverside" + path, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code < 500, response.data
        return response.status_code, response.get_json()

    return call


def test_the_api_lists_projects_and_posts_updates(api, people):
    status, body = api("get", "/projects")
    assert status == 200 and [(p["number"], p["status"]) for p in body["projects"]] == [
        (1, "funded"),
        (2, "funded"),
    ]
    status, body = api("post", "/projects/1/updates", {"status": "delivered", "note": "Benches in."})
    assert status == 201 and (body["posted"], body["notified"]) == (True, 2)
    assert body["project"]["status"] == "delivered"
    assert body["project"]["updates"][-1]["organiser"] == "sam@example.org"
    assert people["bob"].inbox() == [_delivered(1, "benches", "Benches in.")]
    status, body = api("post", "/projects/1/updates", {"status": "delivered", "note": "Benches in."})
    assert status == 201 and (body["posted"], body["notified"]) == (False, 0)
    assert people["bob"].inbox() == []


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("/projects/1/updates", {"status": "done"}, 422, "'done' is not a project status"),
        ("/projects/1/updates", {"note": 5}, 422, "note must be a string"),
        ("/projects/1/updates", {}, 422, "an update needs a status, a note, or both"),
        ("/projects/9/updates", {"note": "x"}, 404, "no project 9"),
    ],
)
def test_the_api_refuses_bad_updates(api, path, body, status, message):
    before = api("get", "/projects")[1]
    got, answer = api("post", path, body)
    assert got == status and message in answer["error"]["message"]
    assert api("get", "/projects")[1] == before


def test_the_openapi_document_has_the_project_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/communities/{slug}/projects"]
    assert "post" in paths["/communities/{slug}/projects/{number}/updates"]


@pytest.fixture
def dashboard(app, clock, client, people):
    make_organiser(app, clock)
    sign_in(client)
    return client


PROJECTS = "/dashboard/riverside/projects"


def test_the_dashboard_shows_projects_and_posts_updates(dashboard, people):
    page = html.unescape(dashboard.get(PROJECTS).get_data(as_text=True))
    assert 'aria-current="page">Projects</a>' in page
    assert re.search(r'id="project-1">\s*<td>1</td><td>benches</td>', page)
    fields = {"project": "1", "status": "delivered", "note": "Benches in."}
    asked = post(dashboard, f"{PROJECTS}/update", page=PROJECTS, **fields)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 200 and "<h1>Mark project 1 delivered?</h1>" in page  # asked once more
    assert "2 supporters (the residents who voted for it and still take messages) are told" in page
    assert people["ann"].inbox() == []
    response = post(dashboard, f"{PROJECTS}/update", page=PROJECTS, confirmed="yes", **fields)
    assert response.status_code == 302
    page = html.unescape(dashboard.get(PROJECTS).get_data(as_text=True))
    assert "Project 1 is delivered; update posted. Told 2 supporters." in page
    assert '<strong>delivered</strong>: Benches in. <span class="by">(sam@example.org)</span>' in page
    assert people["ann"].inbox() == [_delivered(1, "benches", "Benches in.")]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"project": "1", "status": "funded", "note": ""}, "is delivered: it cannot go back to funded"),
        ({"project": "7", "status": "", "note": "x"}, "no project 7"),
        ({"project": "1", "status": "", "note": ""}, "an update needs a status, a note, or both"),
    ],
)
def test_the_dashboard_refuses_bad_updates(dashboard, cp, fields, message):
    _ok(cp("project", "update", "--community", "riverside", "1", "--status", "delivered"))
    response = post(dashboard, f"{PROJECTS}/update", page=PROJECTS, **fields)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    rows = json.loads(_ok(cp("project", "list", "--community", "riverside", "--json")))
    assert [len(r["updates"]) for r in rows] == [1, 0]


def test_the_public_page_shows_each_projects_progress(client, cp, clock, people):
    _ok(
        cp(
            "project",
            "update",
            "--community",
            "riverside",
            "2",
            "--status",
            "in-progress",
            "--note",
            "Artist chosen <b>today</b>",
        )
    )
    page = client.get("/c/riverside").get_data(as_text=True)
    assert "<b>today</b>" not in page  # organisers' words are escaped
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
    date = Moment(clock(), TZ, with_time=False).in_language("en")
    assert "benches £1,000 £0 Funded, work not started yet." in text
    assert f"a mural £1,000 £0 In progress. Artist chosen <b>today</b> ({date})" in text
