"""Issue 25 (1): an idea referred to a council service instead of a vote. The service is
emailed a signed link (a real SMTP server); it answers there, with no account; the idea's author
and the authors of its duplicates hear the answer, each in their own language and channel;
the public page and the weekly digest show the referral. Expired and altered links are refused
with a page that says why."""

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.text import links
from bot.text.catalogue import render
from bot.text.times import Moment
from models import AuditEntry, OutboxMessage
from tests.browser import screenshot
from tests.conftest import Chat
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, post, sign_in

SITE = "https://purse.example.org"
TZ = "Europe/London"


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setattr(links, "_public_url", SITE)


@pytest.fixture
def ideas(db, clock, cp, member):
    """Ann (member, reading Welsh) gave idea 1, "fix the pothole on Mill Lane"; Bob (English)
    gave idea 2, the same, merged into 1 as its duplicate. The community reads en, cy and pl;
    Highways is on its list of services. Inboxes emptied."""
    _ok(cp("community", "languages", "--community", "riverside", "en", "cy", "pl"))
    ann = member
    ann.reply("IAITH CY")
    bob = Chat(db, clock, "riverside", "+447700900201")
    bob.say("hi")
    bob.say("YES")
    ann.say("IDEA fix the pothole on Mill Lane")
    ann.say("£500")
    bob.say("IDEA pothole in Mill Lane needs fixing")
    bob.say("£300")
    _ok(cp("ideas", "merge", "--community", "riverside", "2", "--into", "1"))
    _ok(
        cp(
            "services",
            "add",
            "--community",
            "riverside",
            "Highways",
            "--email",
            "highways@council.example.gov.uk",
        )
    )
    ann.inbox(), bob.inbox()
    return {"ann": ann, "bob": bob}


def _link(smtp) -> str:
    (recipients, message), *_ = smtp.messages[-1:]
    body = message.get_body(("plain",)).get_content()
    found = re.search(re.escape(SITE) + r"(/referrals/\S+)", body)
    assert found, body
    return found[1]


def _text(response) -> str:
    page = response.get_data(as_text=True)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _answer(client, path: str, **fields):
    token = csrf(client.get(path).data)
    once = re.search(r'name="once" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]
    return client.post(path, data={**fields, "csrf_token": token, "once": once})


def test_a_referral_is_emailed_answered_and_heard_by_each_author(
    app, client, cp, clock, db, smtp, site, ideas
):
    ann, bob = ideas["ann"], ideas["bob"]
    out = _ok(cp("ideas", "refer", "--community", "riverside", "1", "--service", "highways"))
    assert "Idea #1 referred to Highways." in out and "emailed a link" in out
    # Each author is told where it went, in their own language
    sent = {"number": 1, "service": "Highways", "community": "Riverside Big Local"}
    assert ann.inbox() == [render("referral_sent", "cy", **sent)]
    assert bob.inbox() == [render("referral_sent", "en", **sent)]
    # One email, to the service, with the idea, its support and the link
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["highways@council.example.gov.uk"]
    assert message["Subject"] == "Riverside Big Local: idea #1 referred to Highways"
    body = message.get_body(("plain",)).get_content()
    assert "Idea #1: fix the pothole on Mill Lane" in body
    assert "1 other resident gave a similar idea." in body
    path = _link(smtp)
    # The idea leaves the shortlist path: referred, not open
    rows = json.loads(_ok(cp("ideas", "list", "--community", "riverside", "--json")))
    assert rows[-1]["status"] == "referred"

    page = client.get(path)
    assert page.status_code == 200
    assert "fix the pothole on Mill Lane" in _text(page) and "No answer yet." in _text(page)
    clock.advance(days=3)
    answered = _answer(client, path, answer="scheduled", on_date="2027-01-15", reason="")
    assert answered.status_code == 303
    page = _text(client.get(path))
    assert "Thank you: your answer is recorded" in page and "scheduled (2027-01-15)" in page

    # One message each, in their own language
    day = Moment(clock().replace(year=2027, month=1, day=15, hour=12), TZ, with_time=False)
    said = {"number": 1, "service": "Highways", "date": day, "community": "Riverside Big Local"}
    assert ann.inbox() == [render("referral_scheduled", "cy", **said)]
    assert bob.inbox() == [render("referral_scheduled", "en", **said)]
    assert "15 Ion 2027" in render("referral_scheduled", "cy", **said)
    # Every answer is in the audit trail, as the service's
    with db.transaction() as session:
        trail = [(e.actor, e.subject, e.action) for e in session.scalars(select(AuditEntry))]
    assert (
        "Highways (council service, by its link)",
        "referral of idea 1",
        "created: answer scheduled; on_date 2027-01-15",
    ) in trail

    # The public page lists it: service, status, days waiting (to the answer), nobody named
    public = _text(client.get("/c/riverside"))
    assert "fix the pothole on Mill Lane Highways Scheduled for 15 Jan 2027 3 days" in public
    # The digest counts it
    clock.advance(hours=1)
    preview = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W48"))
    assert "REFERRALS (ideas passed to council services)" in preview, preview
    assert "No referral is waiting for an answer.\n  Median time to an answer: 3 days" in preview


@pytest.fixture
def referred(cp, smtp, site, ideas):
    """Idea 1 referred to Highways; the email sent; authors' inboxes emptied. Returns the link's path."""
    _ok(cp("ideas", "refer", "--community", "riverside", "1", "--service", "Highways"))
    ideas["ann"].inbox(), ideas["bob"].inbox()
    return _link(smtp)


def test_an_expired_link_is_refused_and_a_link_sent_again_works(client, cp, clock, smtp, referred, ideas):
    clock.advance(days=5)
    waiting = _ok(cp("digest", "preview", "--community", "riverside", "--week", "2026-W49"))
    assert "Waiting for an answer: #1 fix the pothole on Mill Lane (Highways, 5 days)" in waiting
    assert "Median time to an answer: no answer yet" in waiting
    assert "Highways Waiting for an answer 5 days" in _text(client.get("/c/riverside"))
    clock.advance(days=55, seconds=1)
    expired = client.get(referred)
    assert expired.status_code == 410
    assert "This link has expired. Ask the organisers to send it again" in _text(expired)
    refused = client.post(referred, data={"answer": "done"})
    assert refused.status_code in (400, 410)  # no CSRF token: refused before anything is read
    assert ideas["ann"].inbox() == []
    out = _ok(cp("ideas", "send-again", "--community", "riverside", "1"))
    assert "emailed a link" in out and len(smtp.messages) == 2
    fresh = _link(smtp)
    assert fresh != referred and client.get(fresh).status_code == 200
    assert _answer(client, fresh, answer="done").status_code == 303
    said = {"number": 1, "service": "Highways", "community": "Riverside Big Local"}
    assert ideas["ann"].inbox() == [render("referral_done", "cy", **said)]


def test_a_link_replaced_by_a_newer_one_says_so(client, cp, smtp, referred):
    _ok(cp("ideas", "send-again", "--community", "riverside", "1"))
    old = client.get(referred)
    assert old.status_code == 410 and "A newer link was sent for this referral" in _text(old)


@pytest.mark.parametrize("change", ["last", "payload", "cut", "made up"])
def test_an_altered_link_is_refused_with_a_page_saying_so(app, client, referred, change):
    token = referred.removeprefix("/referrals/")
    payload, _, signature = token.rpartition(".")
    altered = {
        "last": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "payload": payload[:-2] + ("xy" if payload[-2:] != "xy" else "zz") + "." + signature,
        "cut": token[: len(token) // 2],
        "made up": "Wzk5OSwxLDk5OTk5OTk5OTld.signature",
    }[change]
    page = client.get("/referrals/" + altered)
    assert page.status_code == 404
    assert "This link is not valid" in _text(page) and "Idea #1" not in _text(page)


def test_a_signed_link_to_a_referral_that_is_not_there_is_not_valid(app, client, clock, referred):
    from bot.domain.referral_links import sign

    token = sign(app.config["SECRET_KEY"], 999, 1, clock() + timedelta(days=5))
    assert "This link is not valid" in _text(client.get("/referrals/" + token))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"answer": "declined", "reason": "  "}, "say why: residents are told the reason"),
        ({"answer": "scheduled", "on_date": ""}, "give the date"),
        ({"answer": "will_do", "on_date": "15/01/2027"}, "'15/01/2027' is not a date like 2027-01-15"),
        ({"answer": "will_do", "on_date": "2026-01-15"}, "the date must be today (2026-11-26) or later"),
        ({"answer": "maybe"}, "choose an answer"),
        ({}, "choose an answer"),
    ],
)
def test_a_bad_answer_is_refused_beside_its_field_and_nobody_is_told(
    client, referred, ideas, fields, message
):
    refused = _answer(client, referred, **fields)
    assert refused.status_code == 422
    text = _text(refused)
    assert "Your answer was not recorded" in text and message in text
    assert ideas["ann"].inbox() == [] and ideas["bob"].inbox() == []
    assert "No answer yet." in _text(client.get(referred))


def test_the_service_answers_again_and_each_answer_is_kept_and_heard(client, clock, db, referred, ideas):
    assert _answer(client, referred, answer="will_do", on_date="2027-03-01").status_code == 303
    clock.advance(days=10)
    assert (
        _answer(client, referred, answer="declined", reason="This road is the county's.").status_code == 303
    )
    page = _text(client.get(referred))
    assert "will do (2027-03-01)" in page and "not ours / won't do: This road is the county's." in page
    assert page.index("will do (2027-03-01)") < page.index("This road is the county's.")
    said = {"number": 1, "service": "Highways", "community": "Riverside Big Local"}
    bob = ideas["bob"].inbox()
    assert len(bob) == 2 and bob[1] == render(
        "referral_declined", "en", reason="This road is the county's.", **said
    )
    # The public page shows the latest; days waiting count to the first answer
    public = _text(client.get("/c/riverside"))
    assert "Highways Not ours / won't do: This road is the county's. 0 days" in public
    # A form sent twice (back, or a double click) records nothing twice
    token = csrf(client.get(referred).data)
    once = re.search(r'name="once" value="([^"]+)"', client.get(referred).get_data(as_text=True))[1]
    first = client.post(referred, data={"answer": "done", "csrf_token": token, "once": once})
    again = client.post(referred, data={"answer": "done", "csrf_token": token, "once": once})
    assert first.status_code == 303 and again.status_code == 422
    assert "this form was already sent" in _text(again)
    assert len(ideas["ann"].inbox()) == 3


def test_stop_erasure_and_quiet_hours_hold_for_the_answer(cp, client, clock, db, referred, ideas):
    ann, bob = ideas["ann"], ideas["bob"]
    bob.say("STOP")
    clock.advance(hours=12)  # 22:00 in London: quiet hours
    assert _answer(client, referred, answer="done").status_code == 303
    assert ann.inbox() == [] and bob.inbox() == []  # held until 08:00, and Bob stopped
    with db.transaction() as session:
        held = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("referral-answer:"))
        ).all()
    assert [m.next_attempt_at.hour for m in held] == [8]
    clock.advance(hours=10)
    said = {"number": 1, "service": "Highways", "community": "Riverside Big Local"}
    assert ann.inbox() == [render("referral_done", "cy", **said)] and bob.inbox() == []


def test_the_email_that_did_not_go_is_kept_and_sent_again(app, cp, smtp, site, ideas):
    app.config["SMTP_PORT"] = 1  # nobody listens there
    result = cp("ideas", "refer", "--community", "riverside", "1", "--service", "Highways")
    assert result.exit_code == 1 and "the mail server could not be reached" in result.output
    rows = json.loads(_ok(cp("ideas", "referrals", "--community", "riverside", "--json")))
    assert rows[0]["emailed_at"] is None and "could not be reached" in rows[0]["email_error"]
    app.config["SMTP_PORT"] = smtp.port
    _ok(cp("ideas", "send-again", "--community", "riverside", "1"))
    assert len(smtp.messages) == 1
    rows = json.loads(_ok(cp("ideas", "referrals", "--community", "riverside", "--json")))
    assert rows[0]["emailed_at"] and rows[0]["email_error"] is None and rows[0]["status"] == "waiting"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["ideas", "refer", "--community", "riverside", "1", "--service", "Bins"],
            "no service 'Bins' in riverside (services: Highways)",
        ),
        (
            ["ideas", "refer", "--community", "riverside", "9", "--service", "Highways"],
            "no idea #9 in riverside",
        ),
        (
            ["ideas", "refer", "--community", "riverside", "2", "--service", "Highways"],
            "idea #2 is merged: only submitted",
        ),
        (
            ["ideas", "send-again", "--community", "riverside", "1"],
            "idea #1 is not referred to a service: refer it first",
        ),
        (
            ["services", "add", "--community", "riverside", "Bins", "--email", "bins"],
            "'bins' is not an email address",
        ),
        (
            ["services", "add", "--community", "riverside", " ", "--email", "a@b.org"],
            "give the service a name",
        ),
        (["services", "remove", "--community", "riverside", "Parks"], "no service 'Parks' in riverside"),
    ],
)
def test_the_cli_refuses_bad_arguments_in_one_line(cp, smtp, site, ideas, args, message):
    _refused(cp(*args), message)
    assert smtp.messages == []


def test_the_cli_lists_and_removes_services(cp, ideas):
    _ok(
        cp(
            "services",
            "add",
            "--community",
            "riverside",
            "Waste and recycling",
            "--email",
            "Bins@Council.example.gov.uk",
        )
    )
    _ok(
        cp(
            "services",
            "add",
            "--community",
            "riverside",
            "highways",
            "--email",
            "roads@council.example.gov.uk",
        )
    )
    rows = json.loads(_ok(cp("services", "list", "--community", "riverside", "--json")))
    assert rows == [
        {"name": "highways", "email": "roads@council.example.gov.uk"},
        {"name": "Waste and recycling", "email": "bins@council.example.gov.uk"},
    ]
    assert "Service Waste and recycling removed." in _ok(
        cp("services", "remove", "--community", "riverside", "waste AND recycling")
    )
    assert "Waste" not in _ok(cp("services", "list", "--community", "riverside"))


def test_the_api_lists_services_refers_and_lists_referrals(api, smtp, site, ideas):
    status, body = api(
        "post",
        "/communities/riverside/services",
        json={"name": "Parks", "email": "parks@council.example.gov.uk"},
    )
    assert status == 201 and body == {"name": "Parks", "email": "parks@council.example.gov.uk"}
    status, body = api("get", "/communities/riverside/services")
    assert [s["name"] for s in body["services"]] == ["Highways", "Parks"]
    status, body = api("post", "/communities/riverside/ideas/1/refer", json={"service": "Highways"})
    assert status == 201 and body["email"] == "sent" and body["service"] == "Highways"
    assert body["status"] == "waiting" and body["days_waiting"] == 0 and len(smtp.messages) == 1
    status, body = api("get", "/communities/riverside/referrals")
    assert [(r["idea"], r["service"], r["status_words"]) for r in body["referrals"]] == [
        (1, "Highways", "waiting for an answer")
    ]
    status, body = api("post", "/communities/riverside/ideas/1/send-again")
    assert status == 200 and body["email"] == "sent" and len(smtp.messages) == 2
    status, body = api("post", "/communities/riverside/services/remove", json={"name": "parks"})
    assert status == 200 and body["name"] == "Parks"


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("/ideas/1/refer", {}, 422, "service is required"),
        ("/ideas/1/refer", {"service": 7}, 422, "service must be a string"),
        ("/ideas/1/refer", {"service": "Nope"}, 404, "no service 'Nope'"),
        ("/ideas/2/refer", {"service": "Highways"}, 422, "idea #2 is merged"),
        ("/services", {"name": "X", "email": "nope"}, 422, "'nope' is not an email address"),
        ("/ideas/1/send-again", {}, 422, "idea #1 is not referred"),
    ],
)
def test_the_api_refuses_bad_input_in_json(api, smtp, site, ideas, path, body, status, message):
    got, answer = api("post", "/communities/riverside" + path, json=body)
    assert got == status and message in answer["error"]["message"]
    assert smtp.messages == []


@pytest.fixture
def dashboard(app, clock, client, ideas):
    make_organiser(app, clock)
    sign_in(client)
    return client


IDEAS = "/dashboard/riverside/ideas"


def test_the_dashboard_refers_an_idea_and_sends_its_link_again(dashboard, smtp, site, ideas, clock):
    page = _text(dashboard.get(IDEAS))
    assert "Council services" in page and "Highways (highways@council.example.gov.uk)" in page
    refused = post(dashboard, "/dashboard/riverside/services", page=IDEAS, name="Bins", email="bins")
    assert refused.status_code == 422 and "'bins' is not an email address" in _text(refused)
    added = post(
        dashboard,
        "/dashboard/riverside/services",
        page=IDEAS,
        name="Bins",
        email="bins@council.example.gov.uk",
    )
    assert added.status_code == 302
    response = post(dashboard, f"{IDEAS}/1/refer", page=IDEAS, service="Highways")
    assert response.status_code == 302 and len(smtp.messages) == 1
    page = _text(dashboard.get(IDEAS))
    assert "Idea #1 referred: the service was emailed a link to answer at." in page
    assert "#1 referred" in page and "Referred to Highways: waiting for an answer (0 days waiting)" in page
    assert ideas["ann"].inbox()  # told where it went
    first = _link(smtp)
    response = post(dashboard, f"{IDEAS}/1/send-again", page=IDEAS)
    assert response.status_code == 302 and len(smtp.messages) == 2
    assert "A new link for idea #1: the service was emailed" in _text(dashboard.get(IDEAS))
    assert _link(smtp) != first and dashboard.get(_link(smtp)).status_code == 200
    with_a_bad_service = post(dashboard, f"{IDEAS}/1/refer", page=IDEAS, service="Bins")
    assert with_a_bad_service.status_code == 422 and "idea #1 is referred" in _text(with_a_bad_service)
    removed = post(dashboard, "/dashboard/riverside/services/remove", page=IDEAS, name="Bins")
    assert removed.status_code == 302 and "Service Bins removed." in _text(dashboard.get(IDEAS))


def test_a_service_answers_in_a_browser(page, cp, smtp, site, ideas):
    _ok(cp("ideas", "refer", "--community", "riverside", "1", "--service", "Highways"))
    path = _link(smtp)
    page.goto(path)
    assert page.get_by_role("heading", level=1).inner_text() == "Idea #1, referred to Highways"
    page.get_by_role("radio", name="Not ours / won't do").check()
    page.get_by_role("button", name="Send the answer").click()
    assert "say why: residents are told the reason" in page.get_by_role("alert").inner_text()
    page.get_by_role("radio", name="Scheduled").check()
    page.get_by_label('Date (for "will do" and "scheduled")').fill("2027-01-15")
    page.get_by_role("button", name="Send the answer").click()
    assert "Thank you: your answer is recorded" in page.inner_text("main")
    assert "scheduled (2027-01-15)" in page.inner_text("main")
    screenshot(page, "referral-answer")
    page.goto(path[:-3] + "abc")
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not valid"


@pytest.fixture
def lenient_page(chromium, live_app):
    """A page whose Content-Security-Policy is lifted so that axe can be injected (as
    tests/test_accessibility.py does)."""
    context = chromium.new_context(
        base_url=live_app, viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def test_axe_finds_no_violation_on_the_referral_pages(app, clock, cp, smtp, site, ideas, lenient_page):
    from tests.browser import axe_violations

    _ok(cp("ideas", "refer", "--community", "riverside", "1", "--service", "Highways"))
    path, page, found = _link(smtp), lenient_page, []

    def check(what: str) -> None:
        found.extend(axe_violations(page, what))

    page.goto(path)
    check("the answer page")
    page.get_by_role("button", name="Send the answer").click()
    check("a refused answer")
    page.get_by_role("radio", name="Already done").check()
    page.get_by_role("button", name="Send the answer").click()
    check("an answer recorded")
    page.goto(path[:-3] + "abc")
    check("an altered link")
    page.goto("/c/riverside")
    check("the public page with a referral")
    make_organiser(app, clock)
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/ideas")
    check("the ideas page with a referral and the services")
    assert found == []


def test_the_service_is_told_the_votes_an_idea_got_on_a_ballot(db, cp, member, new_chat):
    from bot.domain.referrals import support
    from models import Idea
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    _ok(cp("round", "open", "--community", "riverside", "1"))
    bob = new_chat()
    bob.say("hi"), bob.say("YES")
    member.inbox(), bob.inbox()
    member.reply("1 2"), bob.reply("2")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    with db.transaction() as session:
        found = {i.number: support(session, i) for i in session.scalars(select(Idea))}
    assert (found[1].votes, found[2].votes, found[1].similar) == (1, 2, 0)
    from bot.messaging.referral_email import support_words

    assert support_words(found[2]) == ["It got 2 votes when residents voted on it."]


def test_a_link_answers_only_while_the_idea_is_still_with_its_service(client, cp, smtp, referred, ideas):
    """Review: a referred idea could be shortlisted while its service had not answered, and the
    first service's link still answered afterwards, telling every author about an idea that was
    by then in a vote. Now a waiting idea stays with its service; once it says no and the idea is
    put to a vote (or referred elsewhere), the old link says there is nothing to answer."""
    _refused(
        cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "100"),
        "idea #1 is with a council service that has not said no",
    )
    assert _answer(client, referred, answer="declined", reason="Private road").status_code == 303
    ideas["ann"].inbox(), ideas["bob"].inbox()
    _ok(cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "100"))
    ideas["ann"].inbox(), ideas["bob"].inbox()
    stale = client.get(referred)
    assert stale.status_code == 410 and "no longer with your service" in _text(stale)
    assert _text(client.get(referred)).count("<form") == 0
    assert ideas["ann"].inbox() == [] and ideas["bob"].inbox() == []
