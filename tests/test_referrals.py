"""Issue 25 (1): an idea referred to a council service instead of a vote. The service is
emailed a signed link (a real SMTP server); it answers there, with no account; the idea's author
and the authors of its duplicates hear the answer, each in their own language and channel;
the public page and the weekly digest show the referral. Expired and altered links are refused
with a page that says why."""

import html
import json
import re

import pytest
from sqlalchemy import select

from bot.text import links
from bot.text.catalogue import render
from bot.text.times import Moment
from models import AuditEntry
from tests.conftest import Chat
from tests.dashboard_helpers import csrf

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
    """Ann (member, Welsh) gave idea 1, "fix the pothole on Mill Lane"; Bob (Polish... no: English)
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
    return re.search(re.escape(SITE) + r"(/referrals/\S+)", body)[1]


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
