"""WhatsApp templates: outside the 24-hour window a message we start goes as the community's
registered template (a ContentSid with variables) in the resident's language, or by SMS where
there is none; organisers register templates with `commonpurse whatsapp templates`."""

import html
import json
import re

import pytest
from sqlalchemy import func, select

from models import Ballot, Community, Identity, OutboxMessage, Round
from tests.conftest import park_round
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.twilio_helpers import NUMBER, PUBLIC, Phone, WhatsApp, inbound, signed, twilio_config

HOME = "+447700900123"
BALLOT_SID = "HX" + "b" * 32
NEWS_SID = "HX" + "c" * 32


@pytest.fixture
def wa_app(app, fake_twilio, clock):
    app.config.update(twilio_config(fake_twilio))
    fake_twilio.clock = clock  # the fake refuses free-form WhatsApp outside the window (63016)
    return app


def _join(phone):
    assert "Reply YES to join" in phone.text("Hello?")[0]
    assert "you're in" in phone.text("YES")[0]


def _register(cp, kind, sid, language="en"):
    result = cp(
        "whatsapp", "templates", "set", "--community", "riverside", "--kind", kind,
        "--language", language, "--sid", sid,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def _silent_member_with_a_round(wa_app, fake_twilio, cp, clock):
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    park_round(cp, "riverside", whatsapp.text)
    whatsapp.receive()
    clock.advance(hours=25)
    return sms, whatsapp


def test_a_ballot_to_a_member_silent_for_25_hours_goes_as_the_registered_template(
    wa_app, fake_twilio, community, db, cp, clock
):
    said = _register(cp, "ballot", BALLOT_SID)
    assert f"Ballot (a vote opens) in English for riverside goes as {BALLOT_SID}" in said
    sms, whatsapp = _silent_member_with_a_round(wa_app, fake_twilio, cp, clock)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    (ballot,) = whatsapp.receive()
    assert ballot.startswith(f"template {BALLOT_SID}")
    assert sms.receive() == []
    ((to, sid, variables),) = fake_twilio.templates()
    assert (to, sid) == ("whatsapp:" + HOME, BALLOT_SID)
    assert variables == {"1": "Riverside Big Local", "2": "Park", "3": "6pm Mon 30 Nov"}
    sent = fake_twilio.sent[-1].form
    assert "Body" not in sent and sent["From"] == "whatsapp:" + NUMBER
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert (row.channel, row.status, row.content_sid) == ("whatsapp", "sent", BALLOT_SID)
        assert row.body.startswith("Vote now! Park")  # kept for an SMS copy, should one be needed
    # the resident answers on WhatsApp: the window is open again, and replies are plain text
    assert "your vote is in" in whatsapp.text("VOTE 1")[0]


def test_with_no_template_registered_the_ballot_goes_by_sms_and_is_reported(
    wa_app, fake_twilio, community, cp, clock, caplog
):
    _register(cp, "reminder", BALLOT_SID)  # another kind's template does not do
    sms, whatsapp = _silent_member_with_a_round(wa_app, fake_twilio, cp, clock)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert sms.receive()[0].startswith("Vote now! Park")
    assert whatsapp.receive() == [] and fake_twilio.templates() == []
    assert (
        "1 member(s) outside the WhatsApp window get it by SMS: riverside has no ballot template in en"
        in (caplog.text)
    )


def test_a_template_goes_only_in_the_residents_language(wa_app, fake_twilio, make_community, db, cp, clock):
    make_community(languages=["en", "cy"])
    _register(cp, "budget_news", NEWS_SID, language="en")
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    whatsapp.text("IAITH CY")
    clock.advance(hours=25)
    result = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Sent to 1 member." in result.output
    assert whatsapp.receive() == []
    assert "Newyddion cyllideb" in sms.receive()[0]
    _register(cp, "budget_news", NEWS_SID, language="cy")
    cp("budget", "update", "--community", "riverside", "--text", "Mwy!", "--broadcast")
    assert sms.receive() == []
    assert fake_twilio.templates()[-1][1:] == (NEWS_SID, {"1": "Riverside Big Local", "2": "Mwy!"})


def test_inside_the_window_a_message_goes_as_plain_text_even_with_a_template(
    wa_app, fake_twilio, community, cp, clock
):
    _register(cp, "budget_news", NEWS_SID)
    whatsapp = WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    clock.advance(hours=23)
    cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "budget news: News!" in whatsapp.receive()[0]
    assert fake_twilio.templates() == []


@pytest.mark.parametrize("code", [63016, 63027, 63028, 21656])
def test_a_template_refused_goes_again_by_sms_with_its_text(
    wa_app, fake_twilio, community, db, cp, clock, code
):
    """Not approved yet, no Messaging Service, variables that do not fit: the phone still hears."""
    _register(cp, "budget_news", NEWS_SID)
    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    clock.advance(hours=30)
    fake_twilio.fail_next(400, code)
    cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert whatsapp.receive() == []
    assert "budget news: News!" in sms.receive()[0]
    with db.transaction() as session:
        assert session.scalars(select(Identity.unreachable)).one() is None


def test_the_fake_twilio_refuses_free_form_outside_the_window_and_takes_templates(
    wa_app, fake_twilio, community, db, clock
):
    """Plain text is never sent outside the window: a message queued as text to a WhatsApp
    member who then fell silent is refused by Twilio (63016), and goes by SMS instead."""
    from bot.context import get_db
    from bot.domain.outbox import enqueue
    from channels.messages import Address

    sms, whatsapp = Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    clock.advance(hours=25)
    with get_db(wa_app).transaction() as session:
        town = session.scalars(select(Community)).one()
        for text, sid in (("plain", None), ("templated", NEWS_SID)):
            enqueue(
                session, address=Address("whatsapp", HOME), text=text, now=clock(), community_id=town.id,
                sender=NUMBER, content_sid=sid, content_variables={"1": "x"} if sid else None,
            )  # fmt: skip
    assert whatsapp.receive() == [f"template {NEWS_SID} " + json.dumps({"1": "x"})]
    assert sms.receive() == ["plain"]


@pytest.mark.parametrize(
    "args, says",
    [
        (
            ["--kind", "ballots", "--language", "en", "--sid", BALLOT_SID],
            "kind 'ballots' is not one of: ballot",
        ),
        (
            ["--kind", "ballot", "--language", "fr", "--sid", BALLOT_SID],
            "language 'fr' is not one of: en, cy, pl",
        ),
        (["--kind", "ballot", "--language", "en", "--sid", "HX123"], "'HX123' is not a ContentSid"),
        (["--kind", "ballot", "--language", "en"], "Missing option '--sid'"),
    ],
)
def test_a_bad_template_argument_is_one_line_and_exit_2(cp, community, db, args, says):
    result = cp("whatsapp", "templates", "set", "--community", "riverside", *args)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert (
        json.loads(cp("whatsapp", "templates", "list", "--community", "riverside", "--json").output)[0][
            "content_sid"
        ]
        is None
    )


def test_templates_are_listed_replaced_and_removed(cp, community):
    _register(cp, "ballot", BALLOT_SID)
    _register(cp, "ballot", NEWS_SID)  # replaces it
    rows = json.loads(cp("whatsapp", "templates", "list", "--community", "riverside", "--json").output)
    ballot = next(r for r in rows if r["kind"] == "ballot")
    assert ballot["content_sid"] == NEWS_SID
    assert ballot["variables"] == [
        "{{1}} the community's name",
        "{{2}} the round's title",
        "{{3}} when voting closes",
    ]
    assert ballot["body"].startswith("Vote now! {{1}}: {{2}}, open until {{3}}.")
    kinds = {"ballot", "reminder", "result", "budget_news", "announcement", "project_news"}
    assert {r["kind"] for r in rows} == kinds
    shown = cp("whatsapp", "templates", "list", "--community", "riverside", "--bodies").output
    assert "budget_news (en): none: by SMS" in shown
    remove = [
        "whatsapp",
        "templates",
        "remove",
        "--community",
        "riverside",
        "--kind",
        "ballot",
        "--language",
        "en",
    ]
    assert cp(*remove).exit_code == 0
    again = cp(*remove)
    assert (
        again.exit_code == 2
        and again.output.strip() == "commonpurse: error: no ballot template in en for riverside"
    )


# --- The dashboard page ---------------------------------------------------------------------


def _text(page) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())


def test_the_dashboard_registers_and_removes_a_template(wa_app, fake_twilio, community, cp, clock):
    make_organiser(wa_app, clock)
    client = wa_app.test_client()
    sign_in(client)
    page = client.get("/dashboard/riverside/whatsapp")
    assert page.status_code == 200
    shown = html.unescape(_text(page))
    assert "Vote now! {{1}}: {{2}}, open until {{3}}." in shown and "None: by SMS" in shown
    assert "<script" not in page.get_data(as_text=True) and "style=" not in page.get_data(as_text=True)
    path = "/dashboard/riverside/whatsapp/templates"
    refused = post(
        client, path, "/dashboard/riverside/whatsapp", kind="ballot", language="en", content_sid="HX1"
    )
    assert refused.status_code == 422 and "'HX1' is not a ContentSid" in html.unescape(_text(refused))
    done = post(
        client, path, "/dashboard/riverside/whatsapp", kind="ballot", language="en", content_sid=BALLOT_SID
    )
    assert done.status_code == 302
    assert BALLOT_SID in client.get("/dashboard/riverside/whatsapp").get_data(as_text=True)
    listed = json.loads(cp("whatsapp", "templates", "list", "--community", "riverside", "--json").output)
    assert listed[0]["content_sid"] == BALLOT_SID  # the CLI sees what the dashboard registered
    removed = post(client, path + "/remove", "/dashboard/riverside/whatsapp", kind="ballot", language="en")
    assert removed.status_code == 302
    assert BALLOT_SID not in client.get("/dashboard/riverside/whatsapp").get_data(as_text=True)


def test_a_dashboard_template_post_without_its_csrf_token_is_refused(wa_app, community, clock):
    make_organiser(wa_app, clock)
    client = wa_app.test_client()
    sign_in(client)
    response = client.post(
        "/dashboard/riverside/whatsapp/templates",
        data={"kind": "ballot", "language": "en", "content_sid": BALLOT_SID},
    )
    assert response.status_code == 400


# --- A WhatsApp sender of the community's own -----------------------------------------------

SENDER = "+441632960002"


def test_a_separate_whatsapp_sender_finds_the_community_and_sends_its_whatsapp(
    wa_app, fake_twilio, community, db, cp, clock
):
    result = cp("whatsapp", "sender", "--community", "riverside", "--number", "whatsapp:01632 960002")
    assert result.exit_code == 0 and f"goes from, and is written to at, {SENDER}." in result.output
    params = inbound("Hello?", "whatsapp:" + HOME, to="whatsapp:" + SENDER)
    response = wa_app.test_client().post(
        "/webhooks/twilio/whatsapp", data=params, headers=signed(params, PUBLIC + "/webhooks/twilio/whatsapp")
    )
    assert response.status_code == 200
    fake_twilio.wrote_on_whatsapp(HOME, clock())
    whatsapp, sms = WhatsApp(wa_app, fake_twilio), Phone(wa_app, fake_twilio)
    assert "Reply YES to join" in whatsapp.receive()[0]
    assert fake_twilio.sent[-1].form["From"] == "whatsapp:" + SENDER
    whatsapp.text("YES")
    # news outside the window, with no template: by SMS, from the SMS number
    clock.advance(hours=25)
    cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "News!" in sms.receive()[0]
    assert fake_twilio.sent[-1].form["From"] == NUMBER
    # with a template: from the WhatsApp sender
    _register(cp, "budget_news", NEWS_SID)
    cp("budget", "update", "--community", "riverside", "--text", "More!", "--broadcast")
    assert whatsapp.receive()[0].startswith(f"template {NEWS_SID}")
    assert fake_twilio.sent[-1].form["From"] == "whatsapp:" + SENDER
    assert cp("whatsapp", "sender", "--community", "riverside", "--sms-number").exit_code == 0
    with db.transaction() as session:
        assert session.scalars(select(Community.whatsapp_number)).one() is None


@pytest.mark.parametrize(
    "args, says",
    [
        (["--number", "not a number"], "WhatsApp sender 'not a number' is not a phone number"),
        (["--number", NUMBER], f"{NUMBER} is already riverside's number"),
        ([], "give either --number NUMBER or --sms-number"),
    ],
)
def test_a_bad_sender_is_one_line_and_exit_2(cp, make_community, args, says):
    make_community()
    make_community(slug="hillside", join_code="HILLSIDE", sms_number="+441632960009")
    result = cp("whatsapp", "sender", "--community", "hillside", *args)
    assert result.exit_code == 2 and says in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- What it costs: WhatsApp beside SMS segments ---------------------------------------------


def _members_on_three_footings(wa_app, fake_twilio, cp, clock):
    """One member by SMS, one on WhatsApp inside the window, one on WhatsApp silent for 25 h;
    a budget_news template registered."""
    silent = WhatsApp(wa_app, fake_twilio, "+447700900777")
    _join(silent)
    clock.advance(hours=25)
    _join(Phone(wa_app, fake_twilio))
    _join(WhatsApp(wa_app, fake_twilio, "+447700900888"))
    _register(cp, "budget_news", NEWS_SID)


def test_the_cli_confirmation_shows_whatsapp_messages_beside_sms_segments(
    wa_app, fake_twilio, community, cp, clock
):
    _members_on_three_footings(wa_app, fake_twilio, cp, clock)
    result = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Cost: 1 member × 1 segment = up to 1 SMS segment." in result.output
    assert (
        "By WhatsApp: 2 members, 1 inside the 24-hour window and 1 template outside it (WhatsApp "
        "charges per conversation a template opens, not per segment)." in result.output
    )
    assert "Sent to 3 members." in result.output


def test_the_dashboard_confirmation_shows_whatsapp_messages_beside_sms_segments(
    wa_app, fake_twilio, community, cp, clock
):
    _members_on_three_footings(wa_app, fake_twilio, cp, clock)
    make_organiser(wa_app, clock)
    client = wa_app.test_client()
    sign_in(client)
    page = post(
        client, "/dashboard/riverside/money/update", "/dashboard/riverside/money",
        text="News!", broadcast="yes", step="post",
    )  # fmt: skip
    shown = _text(page)
    assert "By WhatsApp: 2 members, 1 inside the 24-hour window and 1 template outside it." in shown
    assert (
        "This sends one message of 1 segment by SMS to 1 member (1 segment), and 2 WhatsApp messages."
        in shown
    )


def test_the_digest_counts_whatsapp_templates_beside_sms_segments(
    wa_app, fake_twilio, community, db, cp, clock
):
    from bot.domain.digest import figures, parse_week
    from bot.text.digest import text

    _members_on_three_footings(wa_app, fake_twilio, cp, clock)
    cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    Phone(wa_app, fake_twilio).receive()
    with db.transaction() as session:
        town = session.get(Community, community.id)
        found = figures(session, town, parse_week("2026-W48", town.timezone), clock())
    counts = {key: value["this_week"] for key, value in found["participation"].items()}
    assert counts["templates_out_whatsapp"] == 1
    assert "WhatsApp templates sent (each charged): 1" in text(found)


def test_the_reminder_and_the_result_go_as_their_templates(wa_app, fake_twilio, community, cp, clock):
    for kind, n in (("ballot", "1"), ("reminder", "2"), ("result", "3")):
        _register(cp, kind, "HX" + n * 32)
    voter, sms, whatsapp = (
        Phone(wa_app, fake_twilio, "+447700900555"), Phone(wa_app, fake_twilio), WhatsApp(wa_app, fake_twilio)
    )  # fmt: skip
    _join(voter)
    park_round(cp, "riverside", voter.text)  # the voter's ideas: the WhatsApp member is no author
    _join(whatsapp)
    clock.advance(hours=25)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert voter.receive()[-1].startswith("Vote now! Park")
    assert "your vote is in" in voter.text("1")[0]
    assert cp("round", "remind", "--community", "riverside", "1").exit_code == 0
    # sent before the close: a ballot or reminder still waiting when voting ends is taken back
    assert len(whatsapp.receive()) == 2
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    assert len(whatsapp.receive()) == 1 and sms.receive() == []
    sent = [(sid, variables) for to, sid, variables in fake_twilio.templates() if to == "whatsapp:" + HOME]
    assert sent == [
        ("HX" + "1" * 32, {"1": "Riverside Big Local", "2": "Park", "3": "6pm Mon 30 Nov"}),
        ("HX" + "2" * 32, {"1": "Riverside Big Local", "2": "Park", "3": "6pm Mon 30 Nov"}),
        ("HX" + "3" * 32, {"1": "Riverside Big Local", "2": "Park", "3": "1 benches"}),
    ]


def test_news_of_a_delivered_project_goes_to_a_silent_supporter_as_its_template(
    wa_app, fake_twilio, community, cp, clock
):
    _register(cp, "project_news", "HX" + "d" * 32)
    sms, whatsapp = _silent_member_with_a_round(wa_app, fake_twilio, cp, clock)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert sms.receive()[0].startswith("Vote now! Park")  # no ballot template: by SMS
    assert "your vote is in" in whatsapp.text("1 2")[0]
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    whatsapp.receive()
    clock.advance(hours=25)
    update = ["project", "update", "--community", "riverside", "1", "--status", "delivered"]
    assert cp(*update, "--note", "The benches are in.", "--yes").exit_code == 0
    (news,) = whatsapp.receive()
    assert news.startswith("template HX" + "d" * 32)
    assert fake_twilio.templates()[-1][2] == {
        "1": "Riverside Big Local", "2": "1", "3": "benches", "4": "The benches are in.",
    }  # fmt: skip
    assert sms.receive() == []


def test_the_api_says_how_many_members_a_broadcast_reaches_on_whatsapp(wa_app, fake_twilio, cp, clock, api):
    _members_on_three_footings(wa_app, fake_twilio, cp, clock)
    status, body = api("post", "/communities/riverside/budget/updates", {"text": "News!", "broadcast": True})
    assert status == 201 and body["sent"] == 3
    assert body["each"]["whatsapp"] == {"messages": 1, "templates": 1}


def test_rejecting_a_whatsapp_authors_idea_shows_a_whatsapp_message_not_sms_segments(
    wa_app, fake_twilio, community, cp, clock
):
    whatsapp = WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    whatsapp.text("IDEA a road bridge")
    whatsapp.text("£3m")
    result = cp("ideas", "reject", "--community", "riverside", "1", "--reason", "Too dear.")
    assert "Cost: 0 authors × 1 segment = up to 0 SMS segments." in result.output
    assert "By WhatsApp: 1 author, 1 inside the 24-hour window and 0 templates outside it" in result.output
    assert "Too dear." in whatsapp.receive()[0]


def test_registering_a_template_is_in_the_audit_trail(cp, community):
    _register(cp, "ballot", BALLOT_SID)
    _register(cp, "ballot", NEWS_SID)
    entries = json.loads(cp("audit", "--community", "riverside", "--json").output)
    shown = [(e["subject"], e["action"]) for e in entries if e["subject"].startswith("WhatsApp")]
    assert ("WhatsApp template ballot en", f"created: content_sid {BALLOT_SID}") in shown
    assert ("WhatsApp template ballot en", f"content_sid: {BALLOT_SID} -> {NEWS_SID}") in shown
    assert cp("whatsapp", "sender", "--community", "riverside", "--number", SENDER).exit_code == 0
    entries = json.loads(cp("audit", "--community", "riverside", "--json").output)
    assert ("community riverside", f"whatsapp_number: none -> {SENDER}") in [
        (e["subject"], e["action"]) for e in entries
    ]


# --- The ballot as quick-reply buttons --------------------------------------------------------

SERVICE = "MG" + "e" * 32


def test_a_small_ballot_comes_as_quick_reply_buttons_and_a_tap_votes(wa_app, fake_twilio, community, db, cp):
    """Inside the window, through a Messaging Service, a choose-one ballot of two options goes
    as WhatsApp quick replies (content made once through the Content API); a tap sends the
    button's payload, which votes."""
    wa_app.config["TWILIO_MESSAGING_SERVICE_SID"] = SERVICE
    whatsapp = WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    park_round(cp, "riverside", whatsapp.text, method="choose-one")
    whatsapp.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    (ballot,) = whatsapp.receive()
    assert ballot.startswith("Vote now! Park\n1 benches £1,000\n2 a mural £1,000")  # the text stands alone
    sent = fake_twilio.sent[-1].form
    assert sent["MessagingServiceSid"] == SERVICE and "Body" not in sent
    buttons = fake_twilio.contents[sent["ContentSid"]]["twilio/quick-reply"]["actions"]
    assert [b["title"] for b in buttons] == ["1. benches (£1,000)", "2. a mural (£1,000)"]
    with db.transaction() as session:
        round_id = session.scalar(select(func.max(Round.id)))
    assert [b["id"] for b in buttons] == [f"VOTE 1 @{round_id}", f"VOTE 2 @{round_id}"]
    tap = inbound(buttons[1]["title"], "whatsapp:" + HOME, to="whatsapp:" + NUMBER)
    tap["ButtonPayload"], tap["ButtonText"] = buttons[1]["id"], buttons[1]["title"]
    fake_twilio.wrote_on_whatsapp(HOME, wa_app.config["CLOCK"]())
    path = "/webhooks/twilio/whatsapp"
    response = wa_app.test_client().post(path, data=tap, headers=signed(tap, PUBLIC + path))
    assert response.status_code == 200
    assert "your vote is in: 2 a mural" in whatsapp.receive()[0]
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[2]]
    made = len(fake_twilio.contents)
    assert cp("round", "cancel", "--community", "riverside", "1").exit_code == 0
    whatsapp.receive()
    assert len(fake_twilio.contents) == made  # a message without buttons makes no content


def test_without_a_messaging_service_a_ballot_keeps_its_numbers(wa_app, fake_twilio, community, cp):
    whatsapp = WhatsApp(wa_app, fake_twilio)
    _join(whatsapp)
    park_round(cp, "riverside", whatsapp.text, method="choose-one")
    whatsapp.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert whatsapp.receive()[0].startswith("Vote now! Park")
    assert "Body" in fake_twilio.sent[-1].form and fake_twilio.contents == {}


def test_a_new_community_may_not_take_anothers_whatsapp_sender_as_its_sms_number(cp, community):
    assert cp("whatsapp", "sender", "--community", "riverside", "--number", SENDER).exit_code == 0
    result = cp(
        "community", "create", "--name", "Hillside", "--slug", "hillside", "--budget", "£1k",
        "--join-code", "HILLSIDE", "--sms-number", SENDER,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip() == "commonpurse: error: WhatsApp sender already used by community riverside"
