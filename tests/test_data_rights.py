"""Residents' data rights (issue 26): consent on record, MY DATA, the organisers' export of a
resident's record, the privacy notice, and erasure taking the consent record with it."""

import pytest
from sqlalchemy import func, select

from bot.domain.consent import wording_version
from bot.text import links
from bot.text.catalogue import CATALOGUE, entry_for
from channels.segments import count_segments
from models import AuditEntry, ConsentEvent, Resident
from tests.twilio_helpers import Caller, Phone, twilio_config

SITE = "https://purse.example.org"
PHONE = "+447700900123"


@pytest.fixture
def site(monkeypatch):
    """The public address, as COMMONPURSE_PUBLIC_URL sets it."""
    monkeypatch.setattr(links, "_public_url", SITE)


@pytest.fixture
def sms_app(app, fake_twilio):
    app.config.update(twilio_config(fake_twilio))
    return app


def consent_record(db) -> list[tuple[str, str, str | None]]:
    with db.transaction() as session:
        return [
            (e.change, e.channel, e.wording)
            for e in session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))
        ]


def consent_trail(db) -> list[tuple[str, str, str]]:
    with db.transaction() as session:
        return [
            (e.actor, e.subject, e.action)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("consent:")).order_by(AuditEntry.id)
            )
        ]


# --- Consent on record --------------------------------------------------------------------


def test_joining_stopping_and_starting_again_are_on_record_with_the_words_agreed_to(chat, db, clock):
    chat.say("hello")
    chat.say("YES")
    clock.advance(days=2)
    chat.say("STOP")
    clock.advance(days=3)
    chat.say("START")
    welcome = wording_version("welcome", "en")
    assert consent_record(db) == [
        ("consented", "console", welcome),
        ("stopped", "console", None),
        ("started", "console", None),
    ]
    with db.transaction() as session:
        times = [e.at.day for e in session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))]
    assert times == [26, 28, 1]
    # The audit trail shows each change, by the resident's number and never their address.
    assert consent_trail(db) == [
        ("resident", "resident 1", f"consent: consented by console ({welcome})"),
        ("resident", "resident 1", "consent: stopped by console"),
        ("resident", "resident 1", "consent: started again by console"),
    ]


def test_the_wording_version_is_the_template_read_in_its_language():
    """welcome/<language>/<12 hex of SHA-256>: each language's words have their own version, and
    any change to the words makes a new one."""
    en, cy, pl = (wording_version("welcome", language) for language in ("en", "cy", "pl"))
    assert en.startswith("welcome/en/") and cy.startswith("welcome/cy/") and pl.startswith("welcome/pl/")
    assert len({en[-12:], cy[-12:], pl[-12:]}) == 3
    import hashlib

    assert en[-12:] == hashlib.sha256(CATALOGUE["welcome"].text.encode()).hexdigest()[:12]
    assert wording_version("welcome_telegram", "en") != en


def test_a_welsh_reader_agrees_to_the_welsh_words(make_community, new_chat, db):
    make_community(languages=["cy", "en"])
    chat = new_chat()
    chat.say("helo")
    chat.say("IE")
    assert consent_record(db) == [("consented", "console", wording_version("welcome", "cy"))]


def test_sms_consent_stop_and_start_through_the_webhook(sms_app, fake_twilio, community, db):
    phone = Phone(sms_app, fake_twilio)
    phone.text("Hello?")
    phone.text("YES")
    phone.text("STOP")
    phone.text("START")
    assert consent_record(db) == [
        ("consented", "sms", wording_version("welcome", "en")),
        ("stopped", "sms", None),
        ("started", "sms", None),
    ]


def test_the_phone_lines_1_and_9_are_on_record(sms_app, fake_twilio, community, db):
    caller = Caller(sms_app)
    caller.call()
    assert "you have joined" in " ".join(caller.press("1"))
    caller.hang_up()
    caller = Caller(sms_app)
    assert "To stop all messages from us, press 9." in caller.call()
    caller.press("9")
    assert consent_record(db) == [
        ("consented", "voice", wording_version("call_consent", "en")),
        ("stopped", "voice", None),
    ]


def test_a_carrier_opt_out_is_on_record_once(sms_app, fake_twilio, community, db, clock):
    from bot.domain.residents import mark_unreachable
    from channels.messages import Address

    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text("YES")
    fake_twilio.fail_next(400, 21610)
    assert phone.text("BUDGET") == []  # opted out at the carrier
    with db.transaction() as session:  # told again (another failed send): not recorded twice
        mark_unreachable(session, 1, Address("sms", PHONE), "opted_out", clock())
    assert [change for change, _, _ in consent_record(db)] == ["consented", "carrier_stopped"]
    assert consent_trail(db)[-1] == ("carrier", "resident 1", "consent: opted out at the carrier by sms")


# --- MY DATA ------------------------------------------------------------------------------


def test_my_data_says_what_is_kept_for_how_long_and_how_to_get_it(member, db, site):
    with db.transaction() as session:
        from models import Community

        session.scalars(select(Community)).one().privacy_contact = "data@riverside.example.org"
    summary, notice = member.say("MY DATA")
    assert "365 days" in summary and "email data@riverside.example.org" in summary and "DELETE" in summary
    assert notice == f"How we use your data, and your rights: {SITE}/c/riverside/privacy"


def test_without_a_contact_my_data_says_to_reply_and_it_reaches_the_organisers(member):
    (summary,) = member.say("my data")
    assert "reply asking for one" in summary and "365 days" in summary


@pytest.mark.parametrize(
    "language, keyword, words",
    [("en", "MY DATA", "365 days"), ("cy", "FY NATA", "365 diwrnod"), ("pl", "MOJE DANE", "365 dni")],
)
def test_my_data_by_sms_in_each_language_fits_its_budget(
    sms_app, fake_twilio, make_community, db, site, language, keyword, words
):
    make_community(languages=[language], name="W" * 40)
    with db.transaction() as session:
        from models import Community

        session.scalars(select(Community)).one().privacy_contact = "x" * 40 + "@example.org"
    phone = Phone(sms_app, fake_twilio)
    phone.text("hi")
    phone.text({"en": "YES", "cy": "IE", "pl": "TAK"}[language])
    summary, notice = phone.text(keyword)
    assert words in summary and "x" * 40 + "@example.org" in summary
    assert f"{SITE}/c/riverside/privacy" in notice
    for key, text in (("my_data", summary), ("privacy_link", notice)):
        entry = entry_for(key)
        assert count_segments(text).segments <= entry.budget(entry.template(language, {})), text
    if language == "en":
        assert count_segments(summary).encoding == "GSM-7"
    # HELP names the keyword, so a resident can find their right of access (it named DELETE alone).
    help_text = phone.text({"en": "HELP", "cy": "CYMORTH", "pl": "POMOC"}[language])[0]
    assert keyword in help_text, help_text


def test_my_data_on_telegram(tg_user, community, db, site):
    tg_user.send("/start RIVERSIDE")
    tg_user.send("YES")
    summary, notice = tg_user.send("MY DATA")
    assert "how to reach you" in summary and notice.endswith("/c/riverside/privacy")


def test_my_data_and_consent_on_whatsapp(sms_app, fake_twilio, community, db, site, clock):
    from tests.twilio_helpers import WhatsApp

    fake_twilio.clock = clock
    phone = WhatsApp(sms_app, fake_twilio)
    phone.text("Hello?")
    phone.text("YES")
    summary, notice = phone.text("MY DATA")
    assert "365 days" in summary and notice.endswith("/c/riverside/privacy")
    assert consent_record(db) == [("consented", "whatsapp", wording_version("welcome", "en"))]


def test_my_data_before_joining(chat):
    chat.say("hi")
    assert "365 days" in chat.say("MY DATA")[0]


def test_my_data_in_the_middle_of_an_idea(member):
    member.say("IDEA")
    assert "365 days" in member.say("MY DATA")[0]


def test_my_data_is_an_answer_never_held_by_quiet_hours(member, clock):
    clock.advance(hours=13)  # 23:00 in November: quiet hours
    assert "365 days" in member.say("MY DATA")[0]


def test_after_stop_my_data_gets_no_answer(member):
    member.say("STOP")
    assert member.say("MY DATA") == []


def test_retention_days_come_from_the_setting(database_url, clock, community):
    from bot.context import get_db
    from bot.web.app import create_app
    from tests.conftest import Chat

    app = create_app({"DATABASE_URL": database_url, "CLOCK": clock, "RETENTION_DAYS": 90})
    try:
        chat = Chat(get_db(app), clock, "riverside", PHONE)
        chat.say("hi")
        chat.say("YES")
        assert "90 days" in chat.say("MY DATA")[0]
    finally:
        get_db(app).dispose()


# --- Erasure ------------------------------------------------------------------------------


def test_erasure_takes_the_consent_record_with_the_resident(member, db):
    member.say("STOP")
    member.say("START")
    assert len(consent_record(db)) == 3
    member.say("DELETE")
    member.say("DELETE")
    assert consent_record(db) == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Resident)) == 1  # anonymous, for counts
    # The trail keeps that resident 1 consented, stopped, started: no address, no words of theirs.
    assert all(PHONE not in part for entry in consent_trail(db) for part in entry)


# --- The organisers' export (subject access) ----------------------------------------------


def _a_full_record(cp, member, clock):
    """A member with an idea, a ballot with its receipt, a question in the inbox, and a STOP
    and START."""
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    member.say("1")
    member.say("when is the next meeting?")
    member.say("STOP")
    member.say("START")


def test_the_cli_exports_a_residents_whole_record_and_the_trail_says_who(
    cp, member, db, clock, caplog, monkeypatch
):
    import json
    import logging

    _a_full_record(cp, member, clock)
    monkeypatch.setenv("COMMONPURSE_ORGANISER", "kim@example.org")
    with caplog.at_level(logging.INFO):
        result = cp("residents", "export", "--community", "riverside", "--phone", "07700 900123")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["identities"][0]["value"] == PHONE
    assert record["resident"]["status"] == "active" and record["retention_days"] == 365
    assert [e["change"] for e in record["consent"]] == ["consented", "stopped", "started"]
    assert record["consent"][0]["wording"] == wording_version("welcome", "en")
    assert [i["text"] for i in record["ideas"]] == ["benches", "a mural"]
    (ballot,) = record["ballots"]
    assert ballot["round"] == 1 and ballot["choices"] == [1] and len(ballot["receipt"]) == 9
    assert "when is the next meeting?" in [m["text"] for m in record["messages_in"]]
    assert any("you're in" in (m["text"] or "") for m in record["messages_out"])
    assert [m["text"] for m in record["inbox"]] == ["when is the next meeting?"]
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor, entry.subject, entry.action) == (
            "kim@example.org",
            "resident 1",
            "record exported (subject access request)",
        )
    assert "resident 1 of riverside was exported by kim@example.org" in caplog.text
    assert PHONE not in caplog.text and "900123" not in caplog.text


@pytest.mark.parametrize(
    "args, says",
    [
        (["--phone", "not a phone"], "is not a phone number"),
        (["--phone", "+447700900999"], "no resident of riverside with that number"),
        ([], "give --phone or --telegram"),
        (["--phone", PHONE, "--telegram", "5"], "give --phone or --telegram"),
        (["--telegram", "abc"], "is not a Telegram chat id"),
    ],
)
def test_a_bad_export_is_one_line_and_exit_2(cp, member, args, says):
    result = cp("residents", "export", "--community", "riverside", *args)
    assert result.exit_code == 2 and says in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_the_api_exports_a_record_to_the_communitys_organisers_only(api, member, db, client):
    status, record = api("post", "/communities/riverside/residents/export", json={"phone": PHONE})
    assert status == 200 and record["identities"][0]["value"] == PHONE
    assert record["consent"][0]["change"] == "consented"
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor, entry.subject) == ("sam@example.org", "resident 1")
    assert api("post", "/communities/riverside/residents/export", json={"phone": "nope"})[0] == 422
    assert api("post", "/communities/riverside/residents/export", json={})[0] == 422
    assert api("post", "/communities/elsewhere/residents/export", json={"phone": PHONE})[0] == 404
    assert api("post", "/communities/riverside/residents/export", json={"phone": PHONE}, headers={})[0] == 401
    assert api("get", "/communities/riverside/residents/export")[0] == 405
    document = client.get("/api/v1/openapi.json").json
    assert "/communities/{slug}/residents/export" in document["paths"]


def test_an_export_by_telegram_chat_id(tg_user, community, cp):
    import json

    tg_user.send("/start RIVERSIDE")
    tg_user.send("YES")
    result = cp("residents", "export", "--community", "riverside", "--telegram", str(tg_user.id))
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["consent"][0]["channel"] == "telegram"
    assert record["consent"][0]["wording"] == wording_version("welcome_telegram", "en")


# --- The privacy notice -------------------------------------------------------------------


def test_the_privacy_notice_is_built_from_the_communitys_settings(cp, client, community, db):
    result = cp(
        "community", "privacy", "--community", "riverside",
        "--controller", "Riverside Big Local Partnership CIC", "--contact", "data@riverside.example.org",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = client.get("/c/riverside/privacy").get_data(as_text=True)
    assert "Riverside Big Local Partnership CIC" in html
    assert 'href="mailto:data@riverside.example.org"' in html
    assert "365 days" in html
    assert "The council gets no personal data" in html
    assert "Twilio" in html and "Telegram" in html and "WhatsApp" in html
    assert "MY DATA" in html and "DELETE" in html and "STOP" in html
    assert 'href="/c/riverside/privacy"' in client.get("/c/riverside").get_data(as_text=True)
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.subject == "community riverside" and "privacy_contact" in entry.action


def test_without_settings_the_notice_says_how_to_write_all_the_same(client, community):
    html = client.get("/c/riverside/privacy").get_data(as_text=True)
    assert "The data controller is Riverside Big Local." in html and "01632 960001" in html
    assert client.get("/c/nowhere/privacy").status_code == 404


def test_a_bad_contact_is_refused_in_one_line(cp, community):
    result = cp("community", "privacy", "--community", "riverside", "--contact", "not an email")
    assert result.exit_code == 2 and "is not an email address" in result.output


def test_the_welcome_links_to_the_privacy_notice(chat, site):
    welcome, notice = chat.say("hi")
    assert "Reply YES to join" in welcome
    assert notice == f"How we use your data, and your rights: {SITE}/c/riverside/privacy"


def test_without_a_public_address_the_welcome_has_no_link(chat):
    assert len(chat.say("hi")) == 1


def test_one_person_on_sms_and_telegram_has_one_consent_record(tg_user, make_community, db, new_chat):
    make_community(slug="oneperson", join_code="ONEVOTE", sms_number="+441632960003", verification="phone")
    sms = new_chat("oneperson", PHONE)
    sms.say("hello")
    sms.say("YES")
    tg_user.send("/start ONEVOTE")
    tg_user.press("YES")
    assert "you're in" in tg_user.share_contact(PHONE)[0]
    with db.transaction() as session:
        residents = {e.resident_id for e in session.scalars(select(ConsentEvent))}
    assert len(residents) == 1  # the Telegram consent moved to the person who texted first
    assert consent_record(db) == [
        ("consented", "console", wording_version("welcome", "en")),
        ("consented", "telegram", wording_version("welcome_telegram", "en")),
    ]
