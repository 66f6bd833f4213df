"""The residents' inbox: what the bot cannot place reaches a person. "When is the next meeting?"
joins the resident's thread and gets "we've passed this to the organisers"; organisers see it on
the Inbox page by pseudonym, reply on the resident's channel with the cost shown first, label,
close and reopen; STOP still wins; the number is shown only on request, and that is audited;
erasure removes the thread; the council's digest counts threads left unanswered for 48 hours."""

import html
import re

import pytest
from sqlalchemy import func, select

from bot.context import get_db
from bot.text.catalogue import render
from models import AuditEntry, InboxMessage, InboxThread, OutboxMessage
from tests.browser import screenshot
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, sign_in
from tests.twilio_helpers import Phone, twilio_config

INBOX = "/dashboard/riverside/inbox"
QUESTION = "when is the next meeting?"


@pytest.fixture
def signed_in(app, clock, client, community):
    make_organiser(app, clock)
    sign_in(client)
    return client


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _thread_url(client) -> str:
    page = _text(client.get(INBOX))
    return re.search(r'href="(/dashboard/riverside/inbox/\d+)"', page)[1]


def test_a_question_the_bot_cannot_place_reaches_the_organisers(member, signed_in):
    assert member.reply(QUESTION) == render("fallback", "en")
    assert "we've passed this to the organisers" in render("fallback", "en")
    page = _text(signed_in.get(INBOX))
    assert re.search(r"Resident \d+, SMS</a>\s*<strong[^>]*>waiting for a reply", page)
    assert QUESTION in page and "+44" not in page
    assert re.search(r'Inbox <span class="count" aria-label="1 waiting for a reply">1</span>', page)


def test_the_organiser_replies_with_its_cost_shown_first_and_it_goes_on_the_residents_channel(
    member, signed_in, db
):
    member.say(QUESTION)
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    preview = signed_in.post(
        f"{thread}/reply",
        data={"csrf_token": csrf(page), "text": "Tuesday at 7pm, in the hall.", "step": "preview"},
    )
    shown = _text(preview)
    assert "Riverside Big Local: Tuesday at 7pm, in the hall." in shown
    assert "By SMS: 1 segment (GSM-7)" in shown and _outbox(db) == 0  # nothing sent yet
    sent = signed_in.post(
        f"{thread}/reply",
        data={"csrf_token": csrf(shown), "text": "Tuesday at 7pm, in the hall.", "step": "send"},
    )
    assert sent.status_code == 302
    assert member.inbox() == ["Riverside Big Local: Tuesday at 7pm, in the hall."]
    page = _text(signed_in.get(thread))
    assert "Reply sent by SMS." in page and "sam@example.org, by SMS" in page
    listing = _text(signed_in.get(INBOX))
    assert "waiting for a reply" not in listing and 'class="count"' not in listing
    # The resident writes again: waiting once more, in the same thread
    member.say("and where?")
    assert "waiting for a reply" in _text(signed_in.get(INBOX))
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxThread)) == 1
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 3


def test_stop_still_wins_over_a_reply(member, signed_in, db):
    member.say(QUESTION)
    member.say("STOP")
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    refused = signed_in.post(
        f"{thread}/reply", data={"csrf_token": csrf(page), "text": "Tuesday.", "step": "send"}
    )
    assert refused.status_code == 422 and "this resident cannot get messages now" in _text(refused)
    assert member.inbox() == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 1  # the reply was undone


def test_a_bad_reply_is_refused_and_nothing_sent(member, signed_in, db):
    member.say(QUESTION)
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    for text, message in (("   ", "write a reply first"), ("x" * 481, "a reply is at most 480 characters")):
        refused = signed_in.post(
            f"{thread}/reply", data={"csrf_token": csrf(page), "text": text, "step": "send"}
        )
        assert refused.status_code == 422 and message in _text(refused)
    assert _outbox(db) == 0


def test_the_number_is_shown_only_when_asked_and_that_is_audited(member, signed_in, db):
    member.say(QUESTION)
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    assert "+447700900123" not in page
    shown = _text(signed_in.post(f"{thread}/reveal", data={"csrf_token": csrf(page)}))
    assert "<strong>+447700900123</strong>" in shown
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "contact details shown")).one()
        assert entry.actor == "sam@example.org" and entry.subject.startswith("inbox ")
        assert "+44" not in entry.subject + entry.action
    assert "+447700900123" not in _text(signed_in.get(thread))  # not kept on the page


def test_label_close_and_a_new_message_opens_it_again(member, signed_in):
    member.say(QUESTION)
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    assert (
        signed_in.post(f"{thread}/label", data={"csrf_token": csrf(page), "label": "meetings"}).status_code
        == 302
    )
    assert signed_in.post(f"{thread}/close", data={"csrf_token": csrf(page)}).status_code == 302
    assert "No open conversations." in _text(signed_in.get(INBOX))
    closed = _text(signed_in.get(INBOX + "?show=closed"))
    assert '<span class="label">meetings</span>' in closed
    member.say("hello? anyone?")
    assert "waiting for a reply" in _text(signed_in.get(INBOX))


def test_ideas_votes_and_keywords_do_not_go_to_the_inbox(member, signed_in, db):
    member.say("IDEA more benches")
    member.say("£2k")
    member.say("BUDGET")
    member.say("thanks")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxThread)) == 0


def test_erasure_removes_the_thread(member, signed_in, db):
    member.say(QUESTION)
    member.say("DELETE")
    member.say("DELETE")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxThread)) == 0
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0
    assert "No open conversations." in _text(signed_in.get(INBOX))


def test_another_communitys_thread_is_404(member, signed_in, app, clock, make_community, new_chat):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    other = new_chat("hillside", "+447700900999")
    other.say("hi")
    other.say("YES")
    other.say(QUESTION)
    with get_db(app).transaction() as session:
        (thread_id,) = session.scalars(select(InboxThread.id)).all()
    assert signed_in.get(f"{INBOX}/{thread_id}").status_code == 404


def _outbox(db) -> int:
    with db.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.idempotency_key.like("inbox-reply:%"))
        )


def test_the_digest_counts_threads_unanswered_for_two_days(member, cp, clock, db):
    member.say(QUESTION)  # Thursday 26 November
    clock.advance(days=5)
    digest = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48").output
    assert "Messages from residents waiting over 48 hours for a reply: 1" in digest
    # The week before had ended before it was asked
    earlier = cp("digest", "preview", "--community", "riverside", "--week", "2026-W47").output
    assert "Messages from residents waiting over 48 hours for a reply: 0" in earlier


def test_the_inbox_in_a_browser_from_question_to_erasure(app, clock, community, fake_twilio, page):
    """A resident texts a question through the real SMS webhook; the organiser answers it in
    Chromium; the reply reaches the fake Twilio; the conversation is closed; erasure removes it."""
    app.config.update(twilio_config(fake_twilio))
    make_organiser(app, clock)
    phone = Phone(app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    (answer,) = phone.text("The bench you funded is broken")
    assert "we've passed this to the organisers" in answer
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile("^Inbox")).click()
    assert "waiting for a reply" in page.inner_text("main")
    assert "+44" not in page.content()
    page.get_by_role("link", name=re.compile(r"Resident \d+, SMS")).click()
    assert "The bench you funded is broken" in page.inner_text("main")
    page.get_by_label("Your reply").fill("Thank you: the council's repair team is on its way.")
    page.get_by_role("button", name="Preview and see its cost").click()
    assert "By SMS: 1 segment (GSM-7)" in page.inner_text("#reply-preview")
    assert phone.receive() == []  # nothing sent by a preview
    page.get_by_role("button", name="Send this reply").click()
    assert "Reply sent by SMS." in page.inner_text("main")
    assert phone.receive() == ["Riverside Big Local: Thank you: the council's repair team is on its way."]
    screenshot(page, "dashboard-inbox")
    page.get_by_role("button", name="Close it").click()
    assert "Conversation closed." in page.inner_text("main")
    phone.text("DELETE")
    phone.text("DELETE")
    page.goto("/dashboard/riverside/inbox?show=all")
    assert "No conversations." in page.inner_text("main")


def test_previewing_a_reply_leaves_the_page_able_to_send_it(member, signed_in):
    """A preview used up the form's one-time token: previewing again from the same page, or
    sending, was refused as 'already sent'."""
    member.say(QUESTION)
    thread = _thread_url(signed_in)
    page = _text(signed_in.get(thread))
    reply_form = page[page.index('id="reply"') :]
    fields = {
        "csrf_token": csrf(page),
        "once": re.search(r'name="once" value="([^"]+)"', reply_form)[1],
        "text": "Tuesday at 7pm.",
    }
    for _ in range(2):
        assert signed_in.post(f"{thread}/reply", data={**fields, "step": "preview"}).status_code == 200
    assert signed_in.post(f"{thread}/reply", data={**fields, "step": "send"}).status_code == 302
    assert member.inbox() == ["Riverside Big Local: Tuesday at 7pm."]
    again = signed_in.post(f"{thread}/reply", data={**fields, "step": "send"})
    assert again.status_code == 422 and "this form was already sent" in _text(again)


def test_retention_erases_an_old_questions_words_and_keeps_the_thread(member, signed_in, db, clock):
    """Retention erased old message texts everywhere but the inbox, where a resident's words
    stayed for ever whatever RETENTION_DAYS promised."""
    from bot.messaging.retention import erase_old_messages

    member.say(QUESTION)
    clock.advance(days=31)
    member.say("and where?")  # recent: kept
    with db.transaction() as session:
        assert erase_old_messages(session, clock(), 30)["inbox"] == 1
    with db.transaction() as session:
        texts = session.scalars(select(InboxMessage.text).order_by(InboxMessage.id)).all()
    assert texts == ["", "and where?"]
    sign_in(signed_in)  # a month on, the organiser's session has ended
    page = _text(signed_in.get(_thread_url(signed_in)))
    assert QUESTION not in page and "and where?" in page
    assert "Its words were erased after the retention period." in page
