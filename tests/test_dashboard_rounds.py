"""The Rounds page: rounds listed, scheduled from a form with local times in the community's
timezone, rescheduled, opened, reminded, closed and cancelled through the CLI's services (seen
by `round show --json`); live turnout while open; the outcome, a recount and the auditors'
downloads when closed; bad input answered beside its field with what was typed kept; nobody's
number on any page."""

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Idea, OutboxMessage, Round
from tests.browser import screenshot
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, post, sign_in

ROUNDS = "/dashboard/riverside/rounds"
ROUND = f"{ROUNDS}/1"
TURNOUT_JS = Path(__file__).parent.parent / "bot/web/dashboard/static/turnout.js"
FORM = {
    "title": "Green spaces",
    "method": "approval",
    "rule": "greedy",
    "ideas": ["1", "2", "3"],
    "opens": "2026-12-01T09:00",
    "closes": "2026-12-14T18:00",
    "remind": "",
    "budget": "",
    "max_choices": "",
}


@pytest.fixture
def organiser(app, clock, community, make_community):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    make_organiser(app, clock)


@pytest.fixture
def shortlisted(member, new_chat, organiser, cp):
    """Two members; the first gave three ideas, all shortlisted: #1 £2,500, #2 £4,000, #3 £6,000."""
    other = new_chat()
    other.say("hello")
    other.say("YES")
    for text, cost in [
        ("benches on the green", "£2,500"),
        ("a mural", "£4,000"),
        ("lights on the canal path", "£6,000"),
    ]:
        member.say(f"IDEA {text}")
        member.say(cost)
    for number in ("1", "2", "3"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    member.inbox()
    other.inbox()
    return member, other


@pytest.fixture
def signed_in(client, shortlisted):
    sign_in(client)
    return client


@pytest.fixture
def scheduled(signed_in):
    """Round 1, "Green spaces", of ideas 1-3, opening 1 Dec 09:00 and closing 14 Dec 18:00."""
    response = _create(signed_in)
    assert response.status_code == 302, _text(response)
    return signed_in


@pytest.fixture
def opened(scheduled, shortlisted):
    assert _step(scheduled, "open").status_code == 302
    for person in shortlisted:
        person.inbox()
    return scheduled


def _text(response) -> str:
    page = html.unescape(response.get_data(as_text=True))
    assert "+44" not in page and "7700900" not in page  # nobody's number, ever
    return page


def _create(client, **changes):
    return post(client, ROUNDS, **{**FORM, **changes})


def _step(client, step: str, number: int = 1, confirmed: str = "yes"):
    return post(client, f"{ROUNDS}/{number}/{step}", page=f"{ROUNDS}/{number}", confirmed=confirmed)


def _shown(cp, number: int = 1) -> dict:
    result = cp("round", "show", "--community", "riverside", str(number), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _rounds(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Round))


def _page(client, path: str = ROUND) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return _text(response)


def _flash(response, client) -> str:
    assert response.status_code == 302, _text(response)
    return _text(client.get(response.location))


# Guarded like every dashboard page.

GETS = [ROUNDS, ROUND, f"{ROUND}/turnout", f"{ROUND}/export.pb", f"{ROUND}/export.json"]
POSTS = [ROUNDS] + [
    f"{ROUND}/{step}" for step in ("reschedule", "open", "remind", "close", "cancel", "recount")
]


@pytest.mark.parametrize("path", GETS + POSTS)
def test_every_route_needs_a_sign_in(client, shortlisted, cp, db, path):
    response = (
        client.get(path)
        if path in GETS
        else client.post(path, data={**FORM, "csrf_token": csrf(client.get("/dashboard/login").data)})
    )
    assert response.status_code == 302 and "/dashboard/login" in response.location
    assert _rounds(db) == 0


@pytest.mark.parametrize("path", GETS + POSTS)
def test_another_communitys_rounds_are_404(scheduled, cp, path):
    token = csrf(scheduled.get(ROUNDS).data)
    for slug in ("hillside", "nowhere"):
        other = path.replace("riverside", slug)
        response = (
            scheduled.get(other)
            if path in GETS
            else scheduled.post(other, data={**FORM, "csrf_token": token})
        )
        assert response.status_code == 404
    assert _shown(cp)["status"] == "scheduled"


@pytest.mark.parametrize(
    "path",
    [
        f"{ROUNDS}/2",
        f"{ROUNDS}/99999999999999999999999",
        f"{ROUNDS}/2/turnout",
        f"{ROUNDS}/2/export.pb",
        f"{ROUNDS}/1/export.csv",
    ],
)
def test_a_round_that_is_not_there_is_404(scheduled, path):
    assert scheduled.get(path).status_code == 404
    token = csrf(scheduled.get(ROUNDS).data)
    assert scheduled.post(f"{ROUNDS}/2/open", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_its_csrf_token_is_refused(scheduled, cp, db, path):
    response = scheduled.post(path, data=FORM, headers={"Referer": f"http://localhost{ROUNDS}/1"})
    assert response.status_code == 400
    # In words, in the dashboard's style, with the way back (it was Flask-WTF's bare 400).
    page = _text(response)
    assert "This form can't be sent" in page and "Nothing was changed" in page
    assert f'<a href="{ROUNDS}/1">Back to the form</a>' in page
    assert _rounds(db) == 1 and _shown(cp)["status"] == "scheduled"


# Scheduling a round.


def test_the_page_lists_rounds_and_offers_shortlisted_ideas(signed_in, cp):
    page = _page(signed_in, ROUNDS)
    assert "No rounds yet" in page
    for idea in ("#1 benches on the green", "(£2,500)", "#2 a mural", "#3 lights on the canal path"):
        assert idea in page
    assert 'type="datetime-local"' in page and "Europe/London" in page
    assert f'href="{ROUNDS}"' in _page(signed_in, "/dashboard/riverside/")  # in the menu
    cp(
        "round",
        "create",
        "--community",
        "riverside",
        "--title",
        "Park",
        "--method",
        "budget",
        "--rule",
        "equal-shares",
        "--ideas",
        "1,2",
        "--opens",
        "2026-11-27 09:00",
        "--closes",
        "2026-11-30 18:00",
        "--budget",
        "£5k",
    )
    row = re.search(r'<tr id="round-1">.*?</tr>', _page(signed_in, ROUNDS), re.DOTALL)[0]
    for shown in (
        "Park",
        "scheduled",
        "budget",
        "equal-shares",
        "Fri 27 Nov 2026, 09:00",
        "Mon 30 Nov 2026, 18:00",
        "0 / 2",
    ):
        assert shown in row


def test_a_round_created_in_the_browser_is_the_round_the_cli_shows(signed_in, cp, db):
    response = _create(signed_in, remind="2026-12-10T12:00", budget="£10k")
    assert response.location.endswith(ROUND)
    assert "Round 1 scheduled: Green spaces, 3 options, £10,000 to allocate." in _flash(response, signed_in)
    shown = _shown(cp)
    assert (shown["title"], shown["method"], shown["rule"], shown["status"]) == (
        "Green spaces",
        "approval",
        "greedy",
        "scheduled",
    )
    assert [o["title"] for o in shown["options"]] == [
        "benches on the green",
        "a mural",
        "lights on the canal path",
    ]
    # Typed in the community's local time: GMT in December.
    assert shown["opens_at"] == "2026-12-01T09:00:00+00:00"
    assert shown["closes_at"] == "2026-12-14T18:00:00+00:00"
    assert shown["remind_at"] == "2026-12-10T12:00:00+00:00" and shown["budget_pence"] == 1_000_000
    with db.transaction() as session:
        assert set(session.scalars(select(Idea.status))) == {"in_round"}
    page = _page(signed_in)
    assert "Tue 1 Dec 2026, 09:00" in page and "Mon 14 Dec 2026, 18:00" in page


def test_summer_times_are_british_summer_time(signed_in, cp, db):
    _create(signed_in, closes="2027-06-01T18:00", ideas=["1", "2"], method="choose-one")
    shown = _shown(cp)
    assert shown["closes_at"] == "2027-06-01T18:00:00+01:00" and shown["method"] == "choose-one"
    with db.transaction() as session:
        closes = session.scalar(select(Round.closes_at))
    assert closes.replace(tzinfo=closes.tzinfo or UTC) == datetime(2027, 6, 1, 17, 0, tzinfo=UTC)


def test_the_ballot_follows_the_order_ideas_are_listed(signed_in, cp):
    _create(signed_in, ideas=["3", "1"], method="budget", budget="£8,500", max_choices="")
    assert [o["title"] for o in _shown(cp)["options"]] == ["benches on the green", "lights on the canal path"]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "Hi"}, "title", "at least 3 characters"),
        ({"title": "Green ☃ spaces"}, "title", "would make that SMS UCS-2"),
        ({"title": "Green spaces " * 12}, "title", "a round's title may have at most"),
        ({"title": "Green\x00spaces"}, "title", "must not contain NUL"),
        ({"method": "lottery"}, "method", "method must be one of"),
        ({"rule": "dice"}, "rule", "rule must be one of"),
        ({"ideas": []}, "ideas", "a round needs at least two different ideas"),
        ({"ideas": ["1"]}, "ideas", "a round needs at least two different ideas"),
        ({"ideas": ["1", "9"]}, "ideas", "no idea #9 in riverside"),
        ({"ideas": ["1", "x"]}, "ideas", "'x' is not a whole number"),
        ({"closes": "2026-11-20T18:00"}, "closes", "the round must open before it closes"),
        (
            {"opens": "2026-11-01T09:00", "closes": "2026-11-20T18:00"},
            "closes",
            "the closing time has already passed",
        ),
        ({"opens": ""}, "opens", "give the time the round opens"),
        ({"opens": "soon"}, "opens", "'soon' is not a time like 2026-12-01 18:00"),
        ({"remind": "2026-12-20T12:00"}, "remind", "the reminder must fall between opening and closing"),
        (
            {"opens": "2026-11-01T09:00", "remind": "2026-11-02T09:00"},
            "remind",
            "the reminder time has already passed",
        ),
        ({"method": "budget", "budget": "£1"}, "budget", "no option fits the round's budget of £1"),
        ({"budget": "£2m"}, "budget", "at most the £1,150,000 still to decide"),
        ({"budget": "lots"}, "budget", "'lots' is not an amount of money"),
        ({"method": "budget"}, "budget", "a budget round needs the amount to allocate"),
        (
            {"method": "budget", "budget": "£9k", "max_choices": "2"},
            "max_choices",
            "for approval rounds only",
        ),
        ({"max_choices": "many"}, "max_choices", "'many' is not a whole number"),
        # Issue 24: it said "0 is not a number from 1 to 9223372036854775807"
        ({"max_choices": "0"}, "max_choices", "0 is too small: give a number of at least 1"),
    ],
)
def test_bad_input_is_refused_beside_its_field_with_what_was_typed_kept(
    signed_in, db, changes, field, message
):
    response = _create(signed_in, **changes)
    page = _text(response)
    assert response.status_code == 422, page
    error = re.search(rf'<p class="error" role="alert" id="create-{field}-error">(.*?)</p>', page)
    assert error and message in error[1], page
    assert f'aria-describedby="create-{field}-error' in page
    typed = {**FORM, **changes}
    for name in ("opens", "closes", "remind", "budget", "max_choices"):
        assert f'name="{name}"' in page and f'value="{typed[name]}"' in page
    if "\x00" not in typed["title"]:
        assert f'value="{typed["title"]}"' in page
    ticked = set(re.findall(r'name="ideas" value="(\d+)" checked', page))
    assert ticked == {n for n in typed["ideas"] if n in ("1", "2", "3")}
    assert f'<option value="{typed["method"]}" selected' in page or typed["method"] == "lottery"
    assert _rounds(db) == 0


def test_an_idea_no_longer_shortlisted_is_refused(signed_in, cp, db):
    cp("ideas", "reject", "--community", "riverside", "3", "--reason", "Not ours to light.")
    response = _create(signed_in)
    assert response.status_code == 422
    assert "idea #3 is rejected: only shortlisted ideas go into a round" in _text(response)
    assert _rounds(db) == 0


# Moving it on.


def test_reschedule_moves_only_the_times_changed(scheduled, cp):
    page = _page(scheduled)
    assert 'value="2026-12-01T09:00"' in page and 'value="2026-12-14T18:00"' in page
    response = post(
        scheduled,
        f"{ROUND}/reschedule",
        page=ROUND,
        opens="2026-12-02T10:30",
        closes="2026-12-14T18:00",
        remind="2026-12-12T08:00",
    )
    assert "Round 1 rescheduled." in _flash(response, scheduled)
    shown = _shown(cp)
    assert (shown["opens_at"], shown["closes_at"], shown["remind_at"]) == (
        "2026-12-02T10:30:00+00:00",
        "2026-12-14T18:00:00+00:00",
        "2026-12-12T08:00:00+00:00",
    )
    same = post(
        scheduled,
        f"{ROUND}/reschedule",
        page=ROUND,
        opens="2026-12-02T10:30",
        closes="2026-12-14T18:00",
        remind="2026-12-12T08:00",
    )
    assert "no time was changed" in _flash(same, scheduled)


def test_a_bad_reschedule_is_refused_with_what_was_typed_kept(scheduled, cp):
    response = post(
        scheduled,
        f"{ROUND}/reschedule",
        page=ROUND,
        opens="2026-12-01T09:00",
        closes="2026-11-30T18:00",
        remind="",
    )
    page = _text(response)
    assert response.status_code == 422
    assert re.search(r'id="reschedule-closes-error">the round must open before it closes<', page)
    assert 'value="2026-11-30T18:00"' in page
    bad = post(scheduled, f"{ROUND}/reschedule", page=ROUND, remind="whenever")
    assert bad.status_code == 422 and "'whenever' is not a time" in _text(bad)
    assert _shown(cp)["closes_at"] == "2026-12-14T18:00:00+00:00"


def test_opening_sends_every_member_the_ballot_once(scheduled, shortlisted, db, cp):
    assert "Open now and send the ballot to 2 members" in _page(scheduled)
    response = _step(scheduled, "open")
    page = _flash(response, scheduled)
    assert "Round 1 is open; members have been sent the ballot." in page
    assert "Open now" not in page and "Close now" in page and "Send the reminder" in page
    assert 'name="opens"' not in page and 'name="closes"' in page  # an open round's opening stays
    with db.transaction() as session:
        ballots = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.idempotency_key.like("round-open:%"))
        ).all()
    assert len(ballots) == 2 and all(b.startswith("Vote now! Green spaces") for b in ballots)
    for person in shortlisted:
        (ballot,) = person.inbox()
        assert "1 benches on the green £2,500" in ballot
    assert "was already open: nothing sent again" in _flash(_step(scheduled, "open"), scheduled)
    assert _shown(cp)["status"] == "open"
    # Opened early: the page says when it opened, not "Opens Tue 1 Dec" still to come
    page = _page(scheduled)
    assert re.search(r'<dt>Opened</dt><dd id="opened">[^<]+ \(planned for Tue 1 Dec 2026, 09:00\)', page)
    assert "<dt>Opens</dt>" not in page and '<dt>Closes</dt><dd id="closes">Mon 14 Dec 2026, 18:00' in page
    listing = _page(scheduled, ROUNDS)
    assert "Tue 1 Dec 2026, 09:00" not in listing and "Mon 14 Dec 2026, 18:00" in listing


def test_open_close_and_cancel_ask_once_more_with_whom_they_tell_counted_then(
    scheduled, shortlisted, new_chat, db, cp
):
    """The page said "tell 4 members" while 5 were; a slip of the mouse opened a round."""
    late = new_chat(phone="+447700900789")
    late.say("hi")
    late.say("YES")  # a member since the round's page was loaded: counted when asked
    asked = _step(scheduled, "open", confirmed="")
    page = _text(asked)
    assert asked.status_code == 200 and "<h1>Open round 1 now?</h1>" in page
    assert "The ballot goes now to 3 members" in page and 'name="confirmed" value="yes"' in page
    assert _shown(cp)["status"] == "scheduled" and all(p.inbox() == [] for p in shortlisted)
    assert "Round 1 is open" in _flash(_step(scheduled, "open"), scheduled)
    page = _text(_step(scheduled, "close", confirmed=""))
    assert "The 0 ballots are counted by" in page and "the results go to 3 members" in page
    page = _text(_step(scheduled, "cancel", confirmed=""))
    assert "3 members are told the round is called off" in page
    assert _shown(cp)["status"] == "open"
    # Asked again once done, nothing is asked: it says so at once
    assert "was already open: nothing sent again" in _flash(_step(scheduled, "open", confirmed=""), scheduled)


def test_a_step_the_round_cannot_take_is_refused_on_its_page(scheduled, cp, db):
    response = _step(scheduled, "close")
    assert response.status_code == 422
    page = _text(response)
    assert re.search(r'id="step-step-error">round 1 is scheduled: only an open round closes<', page)
    assert "Open now" in page and _shown(cp)["status"] == "scheduled"
    refused = _create(scheduled, ideas=["1", "2"], title="Second")  # ideas 1, 2 are in round 1
    assert refused.status_code == 422 and "idea #1 is already in a round" in _text(refused)
    assert _rounds(db) == 1


def test_turnout_and_tallies_rise_as_residents_vote(opened, shortlisted):
    ann, bob = shortlisted
    page = _page(opened)
    assert "turnout.js" in page and f'data-turnout-url="{ROUND}/turnout"' in page
    assert re.search(r'data-live="ballots">0<', page) and re.search(r'data-live="percent">0%<', page)
    assert opened.get(f"{ROUND}/turnout").get_json() == {
        "status": "open",
        "ballots": 0,
        "members": 2,
        "percent": "0%",
        "tallies": {"1": 0, "2": 0, "3": 0},
    }
    assert "your vote is in" in ann.say("1 2")[0]
    live = opened.get(f"{ROUND}/turnout")
    assert live.headers["Cache-Control"] == "no-store"
    assert live.get_json() == {
        "status": "open",
        "ballots": 1,
        "members": 2,
        "percent": "50%",
        "tallies": {"1": 1, "2": 1, "3": 0},
    }
    bob.say("2")
    page = _page(opened)
    assert re.search(r'data-live="ballots">2<', page) and re.search(r'data-live="percent">100%<', page)
    assert re.search(r'data-live="votes-2">2<', page) and re.search(r'data-live="votes-3">0<', page)


def test_the_turnout_script_is_served_and_reads_the_json_it_is_given(opened):
    script = TURNOUT_JS.read_text()
    response = opened.get("/dashboard/static/turnout.js")
    assert response.status_code == 200 and response.get_data(as_text=True) == script
    response.close()
    for key in ("data-turnout-url", "ballots", "members", "percent", "tallies", '"votes-"'):
        assert key in script


def test_reminders_go_once(opened, shortlisted, cp):
    ann, bob = shortlisted
    ann.say("1")
    assert "Reminders queued for 1 member of round 1 who had not voted." in _flash(
        _step(opened, "remind"), opened
    )
    assert any("Reminder: voting on Green spaces" in t for t in bob.inbox())
    again = _flash(_step(opened, "remind"), opened)
    assert "Reminders for round 1 were already sent: nothing sent again." in again
    assert bob.inbox() == []
    # Moving only the close keeps the reminder sent: nobody is reminded twice.
    page = _page(opened)
    assert 'value="2026-12-14T18:00"' in page
    post(opened, f"{ROUND}/reschedule", page=ROUND, closes="2026-12-15T18:00", remind="")
    assert _shown(cp)["closes_at"] == "2026-12-15T18:00:00+00:00"
    assert "were already sent" in _flash(_step(opened, "remind"), opened)


def test_closing_shows_the_outcome_funds_the_winners_and_recounts(opened, shortlisted, cp):
    ann, bob = shortlisted
    ann.say("1 3")
    bob.say("1 2")  # greedy funds what money allows, but never an option nobody voted for
    page = _flash(_step(opened, "close"), opened)
    assert "Round 1 is closed; results sent and winners funded." in page
    outcome = re.search(
        r'<section class="card" aria-labelledby="outcome-h" id="outcome">.*?</section>', page, re.DOTALL
    )[0]
    for shown in ("Winners", "1, 2, 3", "£12,500", "greedy", "Ties", _shown(cp)["outcome"]["tie_breaking"]):
        assert shown in outcome
    assert re.search(r'data-live="votes-1">2<', page) and "Funded" in page
    for gone in ("Open now", "Close now", "Send the reminder", "Cancel this round", 'name="closes"'):
        assert gone not in page
    assert "turnout.js" not in page
    budget = json.loads(cp("budget", "show", "--community", "riverside", "--json").output)
    assert [(a["title"], a["amount_pence"]) for a in budget["allocations"]] == [
        ("benches on the green", 250_000),
        ("a mural", 400_000),
        ("lights on the canal path", 600_000),
    ]
    recount = _flash(post(opened, f"{ROUND}/recount", page=ROUND), opened)
    assert "Round 1 recounted from 2 ballots: the same winners as published (1, 2, 3)." in recount
    assert "was already closed: nothing changed" in _flash(_step(opened, "close"), opened)
    row = re.search(r'<tr id="round-1">.*?</tr>', _page(opened, ROUNDS), re.DOTALL)[0]
    assert "closed" in row and "2 / 2" in row


def test_downloads_are_what_round_export_writes(opened, shortlisted, cp, tmp_path):
    shortlisted[0].say("2 3")
    _step(opened, "close")
    for fmt in ("pb", "json"):
        path = tmp_path / f"round.{fmt}"
        result = cp(
            "round", "export", "--community", "riverside", "1", "--format", fmt, "--output", str(path)
        )
        assert result.exit_code == 0, result.output
        response = opened.get(f"{ROUND}/export.{fmt}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == (f'attachment; filename="riverside-round-1.{fmt}"')
        assert response.get_data() == path.read_bytes()
        stdout = cp("round", "export", "--community", "riverside", "1", "--format", fmt).output
        assert response.get_data(as_text=True) == stdout
    assert f'href="{ROUND}/export.pb"' in _page(opened)


def test_an_imported_round_is_marked_and_recounted(opened, shortlisted, cp, tmp_path):
    shortlisted[0].say("1")
    _step(opened, "close")
    path = tmp_path / "round.pb"
    cp("round", "export", "--community", "riverside", "1", "--output", str(path))
    assert cp("round", "import", "--community", "riverside", str(path)).exit_code == 0
    assert "closed (imported)" in _page(opened, ROUNDS)
    assert "the same winners as published" in _flash(
        post(opened, f"{ROUNDS}/2/recount", page=f"{ROUNDS}/2"), opened
    )


def test_cancelling_puts_the_ideas_back_and_leaves_no_buttons(opened, shortlisted, cp, db):
    assert "Cancel this round and tell 2 members" in _page(opened)
    page = _flash(_step(opened, "cancel"), opened)
    assert "Round 1 is cancelled." in page
    for gone in (
        "Open now",
        "Close now",
        "Send the reminder",
        "Cancel this round",
        "Recount",
        'name="closes"',
    ):
        assert gone not in page
    assert any("has been cancelled" in t for t in shortlisted[1].inbox())
    with db.transaction() as session:
        assert set(session.scalars(select(Idea.status))) == {"shortlisted"}
    assert _shown(cp)["status"] == "cancelled"
    response = _step(opened, "open")
    assert response.status_code == 422
    assert "round 1 is cancelled: only a scheduled round opens" in _text(response)
    assert post(opened, f"{ROUND}/recount", page=ROUND).status_code == 422


# In a real browser: the form, and turnout rising without a reload.


def test_a_round_in_a_browser_from_the_form_to_the_outcome(page, shortlisted, cp):
    ann = shortlisted[0]
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/")
    page.get_by_role("link", name="Rounds").click()
    page.get_by_label("Title").fill("Green spaces")
    page.get_by_label("Method").select_option("approval")
    for number in ("1", "2", "3"):
        page.locator(f"#create-idea-{number}").check()
    page.get_by_label("Opens").fill("2026-12-01T09:00")
    page.get_by_label("Closes").fill("2026-12-14T18:00")
    page.get_by_role("button", name="Schedule round").click()
    assert "Round 1 scheduled: Green spaces, 3 options" in page.inner_text("main")
    assert _shown(cp)["opens_at"] == "2026-12-01T09:00:00+00:00"
    page.get_by_role("button", name="Open now and send the ballot to 2 members").click()
    assert "The ballot goes now to 2 members" in page.inner_text("main")  # asked once more
    page.get_by_role("button", name="Yes, open it and send the ballot").click()
    assert "Round 1 is open" in page.inner_text("main")
    ballots = page.locator('[data-live="ballots"]')
    assert ballots.inner_text() == "0"
    ann.inbox()
    ann.say("1 3")
    page.wait_for_function(
        # A function, not an expression: Playwright evals an expression, which the CSP refuses.
        "() => document.querySelector('[data-live=\"ballots\"]').textContent === '1'",
        timeout=20_000,
    )
    assert page.locator('[data-live="percent"]').inner_text() == "50%"
    assert page.locator('[data-live="votes-3"]').inner_text() == "1"
    assert "Live: updated" in page.locator('[data-live="note"]').inner_text()
    screenshot(page, "dashboard-round-open")
    page.get_by_role("button", name="Close now: count, fund the winners and send the results").click()
    page.get_by_role("button", name="Yes, close it and send the results").click()
    assert "Round 1 is closed" in page.inner_text("main")
    assert "Outcome" in page.inner_text("main")
    page.get_by_role("button", name="Recount from the ballots").click()
    assert "the same winners as published" in page.inner_text("main")
    screenshot(page, "dashboard-round-closed")
    assert "+44" not in page.content()
