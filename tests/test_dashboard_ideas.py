"""The Ideas page: a moderation queue newest first, filtered by status; shortlisting, rejecting
and merging through the CLI's services, so authors hear exactly what the CLI would tell them;
bad input answered beside its field with what was typed kept; nobody's number on the page."""

import html
import re

import pytest
from sqlalchemy import select

from bot.domain.communities import by_slug
from bot.domain.ideas import idea_by_number
from models import OutboxMessage
from tests.dashboard_helpers import csrf, make_organiser, post, sign_in

IDEAS = "/dashboard/riverside/ideas"


@pytest.fixture
def organiser(app, clock, community, make_community):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    make_organiser(app, clock)


@pytest.fixture
def ideas(member, organiser):
    """Three ideas from one member: #1 benches £1k, #2 a mural £2k, #3 lights (no cost)."""
    for text, cost in [("benches by the river", "£1k"), ("a mural", "£2k"), ("lights", "no idea")]:
        member.say(f"IDEA {text}")
        member.say(cost)
    return member


@pytest.fixture
def signed_in(client, ideas):
    sign_in(client)
    return client


def _idea(db, number: int, slug: str = "riverside"):
    with db.transaction() as session:
        return idea_by_number(session, by_slug(session, slug), number)


def _outbox(db) -> list[str]:
    """Messages we started and have not sent yet (what residents are about to be told)."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(OutboxMessage.body).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
            )
        )


def _act(client, number: int, action: str, **fields):
    return post(client, f"{IDEAS}/{number}/{action}", page=IDEAS, **fields)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# Guarded like every dashboard page.

ROUTES = [
    ("get", IDEAS),
    ("post", f"{IDEAS}/1/shortlist"),
    ("post", f"{IDEAS}/1/reject"),
    ("post", f"{IDEAS}/1/merge"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_needs_a_sign_in(client, ideas, db, method, path):
    token = csrf(client.get("/dashboard/login").data)
    response = getattr(client, method)(path, data={"csrf_token": token, "reason": "no", "into": "2"})
    assert response.status_code == 302 and "/dashboard/login" in response.location
    assert _idea(db, 1).status == "submitted" and _outbox(db) == []


@pytest.mark.parametrize("method, path", ROUTES)
def test_another_communitys_ideas_are_404(signed_in, db, method, path):
    token = csrf(signed_in.get(IDEAS).data)
    for slug in ("hillside", "nowhere"):
        response = getattr(signed_in, method)(
            path.replace("riverside", slug), data={"csrf_token": token, "reason": "no", "into": "2"}
        )
        assert response.status_code == 404
    assert _idea(db, 1).status == "submitted"
    mine = getattr(signed_in, method)(path, data={"csrf_token": token, "reason": "no", "into": "2"})
    assert mine.status_code in (200, 302, 303)  # the same request for their own community works


@pytest.mark.parametrize(
    "action, fields",
    [("shortlist", {"cost": "£2,500"}), ("reject", {"reason": "Not ours"}), ("merge", {"into": "2"})],
)
def test_a_post_without_its_csrf_token_is_refused(signed_in, db, action, fields):
    response = signed_in.post(f"{IDEAS}/1/{action}", data=fields)
    assert response.status_code == 400
    assert _idea(db, 1).status == "submitted" and _outbox(db) == []
    token = csrf(signed_in.get(IDEAS).data)
    accepted = signed_in.post(f"{IDEAS}/1/{action}", data={**fields, "csrf_token": token})
    assert accepted.status_code in (302, 303)


# The queue.


def test_the_queue_lists_ideas_newest_first_without_any_author_details(signed_in, db):
    response = signed_in.get(IDEAS)
    page = _text(response)
    assert response.status_code == 200
    assert page.index('id="idea-3"') < page.index('id="idea-2"') < page.index('id="idea-1"')
    assert "benches by the river" in page and "£1,000" in page and "£2,000" in page
    assert "submitted" in page
    assert "+44" not in page and "7700900123" not in page
    assert f'href="{IDEAS}"' in signed_in.get("/dashboard/riverside/").get_data(as_text=True)


def test_statuses_read_as_words_and_filter_the_queue(signed_in, db):
    with db.transaction() as session:
        idea_by_number(session, by_slug(session, "riverside"), 2).status = "not_funded"
    page = _text(signed_in.get(IDEAS + "?status=not_funded"))
    assert "a mural" in page and "not funded" in page
    assert "benches by the river" not in page and "lights" not in page
    assert '<option value="not_funded" selected>Not funded</option>' in page
    everything = _text(signed_in.get(IDEAS + "?status="))
    assert all(text in everything for text in ("a mural", "benches by the river", "lights"))


def test_an_unknown_status_is_refused_with_the_services_message(signed_in):
    response = signed_in.get(IDEAS + "?status=lost")
    assert response.status_code == 422
    assert "unknown status 'lost'; use one of submitted" in _text(response)


# Shortlisting.


@pytest.mark.parametrize(
    "typed, pence, shown",
    [("£2,500", 250_000, "£2,500"), ("2.5k", 250_000, "£2,500"), ("", 100_000, "£1,000")],
)  # the rough cost
def test_shortlisting_at_an_agreed_cost_tells_the_author(signed_in, ideas, db, typed, pence, shown):
    response = _act(signed_in, 1, "shortlist", cost=typed)
    assert response.status_code in (302, 303) and response.location.endswith(IDEAS)
    idea = _idea(db, 1)
    assert (idea.status, idea.cost_pence) == ("shortlisted", pence)
    told = f"Good news: your idea #1 is shortlisted for a vote, at a cost of {shown}."
    assert _outbox(db) == [told]
    assert f"Idea #1 shortlisted at {shown}." in _text(signed_in.get(IDEAS))  # the flash
    assert ideas.inbox() == [told]


@pytest.mark.parametrize(
    "typed, message",
    [
        ("lots", "'lots' is not an amount of money from 1p to £100,000,000 (try 2500, £2,500 or £2.5k)"),
        ("£0", "'£0' is not an amount of money"),
    ],
)
def test_a_bad_cost_is_refused_beside_the_field_and_kept(signed_in, db, typed, message):
    response = _act(signed_in, 1, "shortlist", cost=typed)
    page = _text(response)
    assert response.status_code == 422 and message in page
    assert re.search(rf'<input id="cost-1" name="cost"[^>]*\svalue="{re.escape(typed)}"', page)
    # beside the field (the page's first mention is the summary at its top)
    assert page.index('id="cost-1"') < page.rindex(message) < page.index('id="reason-1"')
    assert _idea(db, 1).status == "submitted" and _outbox(db) == []


def test_an_idea_without_any_cost_needs_one(signed_in, db):
    response = _act(signed_in, 3, "shortlist", cost="")
    assert response.status_code == 422
    assert "idea #3 has no cost yet" in _text(response)
    assert _idea(db, 3).status == "submitted"


@pytest.mark.parametrize("number", ["99", "99999999999999999999999"])
def test_an_unknown_idea_is_refused_not_a_500(signed_in, number):
    response = _act(signed_in, number, "shortlist", cost="£1k")
    _refused_at_the_top(response, f"no idea #{number} in riverside")


def test_the_filter_is_kept_after_an_action(signed_in, db):
    response = _act(signed_in, 1, "shortlist", cost="£1k", status="submitted")
    assert response.location.endswith(IDEAS + "?status=submitted")


# Rejecting.


def test_rejecting_needs_a_reason_and_keeps_the_queue_as_it_was(signed_in, db):
    response = _act(signed_in, 2, "reject", reason="   ")
    page = _text(response)
    assert response.status_code == 422
    assert "say why the idea is rejected" in page
    refusal = page.rindex("say why the idea is rejected")  # beside the field, after the summary
    assert page.index('id="reason-2"') < refusal < page.index('id="into-2"')
    assert _idea(db, 2).status == "submitted" and _outbox(db) == []


def test_rejecting_tells_the_author_in_plain_quotes_as_the_cli_does(signed_in, ideas, db, cp):
    response = _act(signed_in, 1, "reject", reason="It\u2019s \u201cthe council\u2019s\u201d job")
    assert response.status_code in (302, 303)
    idea = _idea(db, 1)
    assert (idea.status, idea.reject_reason) == ("rejected", "It's \"the council's\" job")
    assert "the council's" in _text(signed_in.get(IDEAS))
    assert (
        cp(
            "ideas",
            "reject",
            "--community",
            "riverside",
            "2",
            "--reason",
            "It\u2019s \u201cthe council\u2019s\u201d job",
        ).exit_code
        == 0
    )
    from_dashboard, from_cli = ideas.inbox()
    assert from_dashboard == from_cli.replace("#2", "#1")
    assert from_dashboard.startswith("Your idea #1 was not taken forward: It's \"the council's\" job")


def test_a_reason_too_long_for_the_sms_is_confirmed_first(signed_in, ideas, db):
    reason = "We looked at this carefully with the council and the parks team. " * 4
    response = _act(signed_in, 1, "reject", reason=reason)
    page = _text(response)
    assert response.status_code == 200 and "Reject idea #1?" in page
    assert "Your reason does not fit whole" in page
    assert _idea(db, 1).status == "submitted" and _outbox(db) == []
    confirmed = signed_in.post(
        f"{IDEAS}/1/reject", data={"csrf_token": csrf(page), "reason": reason, "confirmed": "yes"}
    )
    assert confirmed.status_code in (302, 303)
    assert _idea(db, 1).status == "rejected" and len(ideas.inbox()) == 1


def test_a_stale_page_is_told_what_happened_meanwhile(signed_in, db):
    assert _act(signed_in, 1, "reject", reason="Not ours").status_code in (302, 303)
    response = _act(signed_in, 1, "reject", reason="Not ours either")  # from an older page
    page = _refused_at_the_top(response, "idea #1 is rejected: it cannot be rejected now")
    assert 'action="/dashboard/riverside/ideas/1/reject"' not in page
    assert _idea(db, 1).reject_reason == "Not ours"


def _refused_at_the_top(response, message: str) -> str:
    page = _text(response)
    assert response.status_code == 422
    assert f'<p class="error" role="alert">{message}</p>' in page
    return page


def test_text_no_database_can_hold_is_refused_not_a_500(signed_in, db):
    response = _act(signed_in, 1, "reject", reason="no\x00thanks")
    assert response.status_code == 422 and "reason must not contain NUL characters" in _text(response)
    assert _idea(db, 1).status == "submitted"


# Merging.


@pytest.mark.parametrize(
    "into, message",
    [
        ("1", "an idea cannot be merged into itself"),
        ("9", "no idea #9 in riverside"),
        ("two", "'two' is not a whole number"),
        ("", "'' is not a whole number"),
        ("0", "0 is too small: give a number of at least 1"),  # not "from 1 to 9223372036854775807"
    ],
)
def test_a_bad_merge_is_refused_beside_the_field_and_kept(signed_in, db, into, message):
    response = _act(signed_in, 1, "merge", into=into)
    page = _text(response)
    assert response.status_code == 422 and message in page
    assert re.search(rf'<input id="into-1" name="into"[^>]*\svalue="{re.escape(into)}"', page)
    assert _idea(db, 1).status == "submitted" and _outbox(db) == []


def test_merging_a_duplicate_credits_its_author(signed_in, ideas, db):
    response = _act(signed_in, 2, "merge", into="1")
    assert response.status_code in (302, 303)
    assert _idea(db, 2).status == "merged"
    page = _text(signed_in.get(IDEAS))
    assert "Idea #2 merged into #1." in page
    assert "Merged into</dt><dd>#1" in page
    assert ideas.inbox() == ["Your idea #2 was joined with a similar idea, #1, and you are credited for it."]
    assert 'action="/dashboard/riverside/ideas/2/reject"' not in page  # nothing more to do with it


def test_the_ideas_page_shows_no_bidi_override_or_invisible_character(signed_in, member):
    """Issue 26 (1): the page showed the resident's raw U+202E, turning the rest of the line round."""
    member.say("IDEA \u202egreen benches\u202c\u200b")
    member.say("£100")
    page = signed_in.get(IDEAS).get_data(as_text=True)
    assert "green benches" in page
    assert not any(c in page for c in "\u202e\u202c\u200b")
