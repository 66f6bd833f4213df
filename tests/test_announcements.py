"""Announcements: news to members that is not about the money, to everyone or to part of the
community. Counted and costed first; held through quiet hours; the audit trail and the digest
keep who it went to as criteria; BUDGET goes on showing the budget news."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from bot.domain.audit import entries
from bot.domain.digest import figures, week_starting
from bot.text.digest import html_content
from bot.text.digest import text as digest_text
from bot.web.dashboard.forms import ALREADY_SENT
from models import Community, OutboxMessage
from tests.conftest import Chat
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.test_targeted_updates import PHONES, _reached
from tests.test_targeted_updates import town as town  # the fixture: round 2 open, areas set
from tests.test_whatsapp_templates import wa_app as wa_app  # the app, sending through a fake Twilio
from tests.twilio_helpers import Phone, WhatsApp

NEWS = "The partnership meets Tuesday 7pm at the library, all welcome"
MONEY = "The garden got its first £500."
SEGMENT = ("--not-voted-in", "2", "--area", "RM9")


def _announce(cp, *args: str):
    return cp("announce", "--community", "riverside", "--text", NEWS, "--yes", *args)


def test_an_announcement_to_those_not_voted_in_round_2_in_rm9_reaches_them_and_budget_keeps_its_news(
    cp, db, clock, town
):
    assert cp("budget", "update", "--community", "riverside", "--text", MONEY).exit_code == 0
    done = _announce(cp, *SEGMENT)
    assert done.exit_code == 0, done.output
    assert "To: not voted in round 2, area RM9." in done.output
    assert f"Each member gets (GSM-7, 1 segment): Riverside Big Local news: {NEWS}" in done.output
    assert "Cost: 2 members" in done.output and "Announcement sent to 2 members." in done.output
    assert _reached(db, clock, NEWS) == {PHONES[1], PHONES[5]}

    budget = Chat(db, clock, "riverside", PHONES[1]).reply("BUDGET")
    assert MONEY in budget and NEWS not in budget
    with db.transaction() as session:
        place = session.get_one(Community, town.id)
        trail = [f"{e.subject} {e.action}" for e in entries(session, place)]
        assert any(
            t.startswith("announcement created") and "not voted in round 2, area RM9" in t for t in trail
        )
        assert not any(phone[3:] in " ".join(trail) for phone in PHONES)
        shown = figures(session, place, week_starting(date(2026, 11, 23), place.timezone), clock())
    assert shown["announcements"] == [{"text": NEWS, "audience": "not voted in round 2, area RM9"}]
    assert f"To not voted in round 2, area RM9: {NEWS}" in digest_text(shown)
    assert f"<p>To not voted in round 2, area RM9: {NEWS}</p>" in html_content(shown)


def test_quiet_hours_hold_an_announcement_until_they_end(cp, db, clock, town):
    clock.current += timedelta(hours=12)  # 22:00
    done = _announce(cp)
    assert "To: all members." in done.output
    assert "Announcement sent to 5 members. Quiet hours: it goes out at 8am Fri 27 Nov." in done.output
    assert _reached(db, clock, NEWS) == set()
    clock.current += timedelta(hours=10)  # 08:00
    assert _reached(db, clock, NEWS) == {PHONES[n] for n in (0, 1, 2, 4, 5)}  # 3 stopped messages


def test_the_cli_refuses_bad_arguments_in_one_line(cp, db, town):
    for args, message in [
        (("--not-voted-in", "9"), "no round 9 in riverside"),
        (("--area", "RM"), "not like RM9"),
        (("--channel", "fax"), "no channel fax"),
        (("--area", "E1"), "no member who gets messages matches area E1: nothing was sent"),
        (("--voted-in", "0"), "0"),
    ]:
        result = _announce(cp, *args)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert message in result.output
    empty = cp("announce", "--community", "riverside", "--text", "  ", "--yes")
    assert empty.exit_code == 2 and "an announcement needs some text" in empty.output
    with db.transaction() as session:
        assert not session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("announce%"))
        ).all()


def test_the_dashboard_previews_confirms_and_sends_an_announcement_once(app, client, db, clock, town):
    make_organiser(app, clock)
    sign_in(client)
    inbox = "/dashboard/riverside/inbox"
    to = "/dashboard/riverside/inbox/announce"
    page = client.get(inbox).text
    assert 'id="announce"' in page and 'id="announce-segment"' in page
    chosen = dict(text=NEWS, areas="RM9", vote="not_voted", vote_round="2")
    preview = post(client, to, page=inbox, step="preview", **chosen)
    assert f"Riverside Big Local news: {NEWS}" in preview.text and "2 members in all" in preview.text
    confirm = post(client, to, page=inbox, step="confirm", **chosen)
    assert "To not voted in round 2, area RM9: 2 members." in confirm.text
    assert 'name="vote_round" value="2"' in confirm.text
    once = re.search(r'name="once" value="([^"]+)"', confirm.text)[1]
    form = {
        **chosen,
        "step": "send",
        "once": once,
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)[1],
    }
    sent = client.post(to, data=form)
    assert sent.status_code in (302, 303)
    assert "Announcement sent to 2 members." in client.get(inbox).text
    again = client.post(to, data=form)  # back, and Confirm once more
    assert again.status_code == 422 and ALREADY_SENT in again.text
    assert _reached(db, clock, NEWS) == {PHONES[1], PHONES[5]}
    refused = post(client, to, page=inbox, step="confirm", text=NEWS, vote="voted", vote_round="9")
    assert refused.status_code == 422 and "no round 9 in riverside" in refused.text


def test_the_api_sends_an_announcement_to_part_of_the_community(api, db, clock, town):
    path = "/communities/riverside/announcements"
    status, body = api("post", path, {"text": NEWS, "to": {"not_voted_in": 2, "areas": ["RM9"]}})
    assert (status, body["sent"], body["audience"]) == (201, 2, "not voted in round 2, area RM9")
    assert _reached(db, clock, NEWS) == {PHONES[1], PHONES[5]}
    assert api("post", path, {"text": NEWS, "to": {"voted": 2}})[0] == 422
    assert api("post", path, {"text": NEWS, "to": {"voted_in": 9}})[0] == 404


def test_outside_the_whatsapp_window_it_goes_as_the_announcement_template(
    wa_app, fake_twilio, community, cp, clock
):
    sid = "HX" + "d" * 32
    assert cp(
        "whatsapp", "templates", "set", "--community", "riverside", "--kind", "announcement",
        "--language", "en", "--sid", sid,
    ).exit_code == 0  # fmt: skip
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    whatsapp.text("Hello?")
    whatsapp.text("YES")
    clock.advance(hours=25)
    done = cp("announce", "--community", "riverside", "--text", NEWS)
    assert "By WhatsApp: 1 member, 0 inside the 24-hour window and 1 template outside it" in done.output
    assert whatsapp.receive()[0].startswith(f"template {sid}") and sms.receive() == []
    assert fake_twilio.templates()[-1][1:] == (sid, {"1": "Riverside Big Local", "2": NEWS})
