"""Telegram, end to end: real-shaped updates through the webhook, the real Bot out to a local fake."""

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.messaging.channels import configured_channels
from bot.messaging.dispatcher import Dispatcher
from models import (
    Identity,
    InboundLog,
    OutboxMessage,
    PollingOffset,
    Resident,
    TelegramChat,
)
from tests.conftest import park_round
from tests.fake_telegram import TOKEN
from tests.telegram_helpers import SECRET, TelegramUser, callback_update, message_update, user


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_resident_journey_on_telegram_with_buttons(tg_user, community, db):
    (welcome,) = tg_user.send("/start RIVERSIDE")
    assert "Riverside Big Local" in welcome and "Reply YES" in welcome
    assert "number" not in welcome and "Telegram account ID" in welcome  # what we keep, here
    buttons = tg_user.keyboard()["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in buttons] == [["YES"], ["STOP"]]
    (joined,) = tg_user.press("YES")
    assert tg_user.last_response["method"] == "answerCallbackQuery"
    assert "you're in" in joined
    assert "how much" in tg_user.send("IDEA more benches on the green")[0]
    assert "#1" in tg_user.send("£2k")[0]
    assert "Still to decide" in tg_user.send("/budget")[0]
    assert "won't get any more messages" in tg_user.send("STOP")[0]
    assert tg_user.send("hello") == []
    assert "Welcome back" in tg_user.send("/start")[0]
    with db.transaction() as session:
        identity = session.scalars(select(Identity)).one()
    assert (identity.kind, identity.value) == ("telegram", "111")


def test_start_without_a_code_asks_for_it_and_a_typed_code_joins(tg_user, community, db):
    assert "join code" in tg_user.send("/start")[0]
    assert count(db, Resident) == 0
    assert "Reply YES" in tg_user.send("riverside")[0]


def test_an_unknown_join_code_is_explained(tg_user, community, db):
    assert "no community has that join code" in tg_user.send("/start NOPE")[0]
    assert count(db, Resident) == 0


def test_one_telegram_user_in_two_communities_switches_with_start(tg_user, make_community, community, db):
    make_community(slug="millfield", join_code="MILL", sms_number="+441632960002", name="Millfield")
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    assert "Millfield" in tg_user.send("/start MILL")[0]
    tg_user.press("YES")
    assert "Riverside Big Local:" in tg_user.send("/start RIVERSIDE")[0]  # a member: the menu
    assert "Riverside" in tg_user.send("HELP")[0]
    with db.transaction() as session:
        assert len(session.scalars(select(Resident)).all()) == 2
        assert session.get(TelegramChat, "111").community_id == community.id


@pytest.mark.parametrize("secret, status", [(SECRET + " ", 200), ("\t" + SECRET, 200), (SECRET + "x", 403)])
def test_spaces_around_the_secret_header_are_not_part_of_it(tg_user, community, secret, status):
    """Issue 26 (11): spaces around a header's value are not part of it (RFC 9110); gunicorn
    trimmed them and Werkzeug's server did not, so the webhook trims them itself and the README
    says so. No secret is weakened: Telegram allows no spaces in one."""
    assert tg_user.post(message_update(111, "/start RIVERSIDE"), secret=secret).status_code == status


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(tg_user, community, db, secret):
    assert tg_user.post(message_update(111, "/start RIVERSIDE"), secret=secret).status_code == 403
    assert count(db, InboundLog) == 0 and count(db, TelegramChat) == 0


def test_a_redelivered_update_changes_nothing(tg_user, community, db):
    update = message_update(111, "/start RIVERSIDE")
    assert len(tg_user.deliver(update)) == 1
    assert tg_user.deliver(update) == []
    assert count(db, InboundLog) == 1 and count(db, OutboxMessage) == 1


@pytest.mark.parametrize(
    "update",
    [
        {
            "update_id": 1,
            "edited_message": {
                "message_id": 1,
                "date": 1795600000,
                "text": "edit",
                "chat": {"id": 111, "type": "private"},
                "from": user(111),
            },
        },
        {
            "update_id": 2,
            "my_chat_member": {
                "chat": {"id": 111, "type": "private"},
                "from": user(111),
                "date": 1795600000,
                "old_chat_member": {"status": "member", "user": user(4242)},
                "new_chat_member": {"status": "kicked", "user": user(4242), "until_date": 0},
            },
        },
        message_update(111, "hello group", chat_type="group"),
    ],
)
def test_other_updates_are_acknowledged_and_ignored(tg_user, community, db, fake_telegram, update):
    assert tg_user.deliver(update) == []
    assert count(db, InboundLog) == 0 and fake_telegram.sent() == []


def test_a_sticker_gets_a_helpful_answer(tg_user, community):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    sticker = {
        "file_id": "x",
        "file_unique_id": "y",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert "didn't understand" in tg_user.deliver(message_update(111, None, sticker=sticker))[0]


@pytest.fixture
def phone_community(make_community):
    return make_community(
        slug="oneperson",
        join_code="ONEVOTE",
        sms_number="+441632960003",
        name="One Person",
        verification="phone",
    )


def test_sharing_your_own_contact_links_telegram_to_your_sms_membership(
    tg_user, phone_community, db, new_chat
):
    sms = new_chat("oneperson", "+447700900123")  # the same person texted first
    sms.say("hello")
    sms.say("YES")
    tg_user.send("/start ONEVOTE")
    (ask,) = tg_user.press("YES")
    assert "share your phone number" in ask
    button = tg_user.keyboard()["keyboard"][0][0]
    assert button["request_contact"] is True
    assert "you're in" in tg_user.share_contact("447700900123")[0]
    with db.transaction() as session:
        (resident,) = session.scalars(select(Resident)).all()
        kinds = sorted((i.kind, i.value) for i in resident.identities)
    assert kinds == [("phone", "+447700900123"), ("telegram", "111")]
    tg_user.send("IDEA a bench")
    tg_user.send("skip")
    assert "#1 a bench" in sms.reply("MY IDEAS")  # one resident, either channel


def test_someone_elses_contact_is_refused(tg_user, phone_community, db):
    tg_user.send("/start ONEVOTE")
    tg_user.press("YES")
    assert "someone else's number" in tg_user.share_contact("+447700900999", owner=999)[0]
    assert "IDEA" not in tg_user.send("IDEA x")[0]  # not in yet
    with db.transaction() as session:
        assert session.scalars(select(Identity.kind)).all() == ["telegram"]


def test_a_new_person_sharing_their_contact_joins_with_their_phone(tg_user, phone_community, db):
    tg_user.send("/start ONEVOTE")
    tg_user.press("YES")
    assert "you're in" in tg_user.share_contact("+447700900555")[0]
    with db.transaction() as session:
        assert sorted(session.scalars(select(Identity.kind)).all()) == ["phone", "telegram"]


def _last_row(db):
    with db.transaction() as session:
        return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()


def test_flood_control_honours_retry_after(tg_user, community, db, fake_telegram, clock):
    fake_telegram.fail_next(429, "Too Many Requests: retry after 7", retry_after=7)
    assert tg_user.send("/start RIVERSIDE") == []
    row = _last_row(db)
    assert (row.status, row.next_attempt_at) == ("queued", clock() + timedelta(seconds=7))
    clock.advance(seconds=7)
    assert "Reply YES" in tg_user.receive()[0]


def test_a_user_who_blocked_the_bot_is_unreachable(tg_user, community, db, fake_telegram):
    fake_telegram.fail_next(403, "Forbidden: bot was blocked by the user")
    tg_user.send("/start RIVERSIDE")
    row = _last_row(db)
    assert (row.status, row.error_code) == ("failed", "403")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().unreachable == "blocked"


def test_chat_not_found_marks_the_identity_invalid(tg_user, community, db, fake_telegram):
    fake_telegram.fail_next(400, "Bad Request: chat not found")
    tg_user.send("/start RIVERSIDE")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().unreachable == "invalid"


def test_a_message_with_more_buttons_than_telegram_takes_goes_without_them(tg_app, fake_telegram):
    """The Bot API refuses over 100 buttons (the fake does too): the text still goes."""
    from channels.messages import Address, Choice, OutboundMessage

    client = configured_channels(tg_app)["telegram"]
    try:
        many = tuple(Choice(f"Project {n}", f"PROJECT {n}") for n in range(1, 102))
        client.send(OutboundMessage(Address("telegram", "111"), "Which project?", many))
        client.send(OutboundMessage(Address("telegram", "111"), "Which one?", many[:100]))
    finally:
        client.close()
    first, second = fake_telegram.sent(111)
    assert first.params["text"] == "Which project?" and "reply_markup" not in first.params
    assert len(second.params["reply_markup"]["inline_keyboard"]) == 100


def test_network_errors_are_retried(app, community, db, fake_telegram):
    app.config.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL="http://127.0.0.1:9/bot"
    )
    channels = configured_channels(app)
    try:
        TelegramUser(app, fake_telegram, Dispatcher(db, channels, app.config["CLOCK"])).send(
            "/start RIVERSIDE"
        )
    finally:
        channels["telegram"].close()
    row = _last_row(db)
    assert (row.status, row.error_code) == ("queued", "network")


def test_messages_to_one_chat_are_paced(tg_app, fake_telegram, community, db, clock):
    """The dispatcher's real Telegram client waits between sends to one chat at the configured
    rate, and another chat does not wait behind it. The chat pacer runs on a fake clock, so the
    test asserts the waits themselves, not the jitter of HTTP calls on a busy machine."""
    from bot.domain.outbox import enqueue
    from channels.messages import Address
    from channels.pacing import Pacer

    tg_app.config["TELEGRAM_CHAT_MESSAGES_PER_SECOND"] = 5
    with db.transaction() as session:
        for n in range(4):
            enqueue(session, address=Address("telegram", "111"), text=f"news {n}", now=clock())
        enqueue(session, address=Address("telegram", "222"), text="other chat", now=clock())
    channels = configured_channels(tg_app)
    client = channels["telegram"]
    assert client.chat_pacer.rate == 5
    now = [100.0]
    paced = Pacer(5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    let_go = []

    class Recording:
        def wait(self, key, units=1):
            paced.wait(key, units)
            let_go.append((key, round(now[0], 6)))

    client.chat_pacer = Recording()
    try:
        Dispatcher(db, channels, clock).run_once()
    finally:
        client.close()
    assert fake_telegram.texts(111) == ["news 0", "news 1", "news 2", "news 3"]
    assert fake_telegram.texts(222) == ["other chat"]
    # Four messages to one chat at 5 a second go 0.2 s apart; the other chat goes at once.
    assert let_go == [("111", 100.0), ("111", 100.2), ("111", 100.4), ("111", 100.6), ("222", 100.6)]


def test_the_token_never_reaches_the_logs(tg_user, community, caplog, tg_app, db):
    caplog.set_level(logging.DEBUG)
    tg_user.send("/start RIVERSIDE")
    tg_app.config["TELEGRAM_BOT_TOKEN"] = "999:bad-token"
    channels = configured_channels(tg_app)
    try:
        TelegramUser(tg_app, tg_user.fake, Dispatcher(db, channels, tg_app.config["CLOCK"])).send("hi")
    finally:
        channels["telegram"].close()
    assert _last_row(db).error_code == "invalid_token"
    assert TOKEN not in caplog.text and "bad-token" not in caplog.text


def test_set_and_delete_the_webhook(cp, tg_app, fake_telegram):
    tg_app.config["PUBLIC_URL"] = "https://purse.example.org/"
    result = cp("telegram", "set-webhook")
    assert result.exit_code == 0, result.output
    assert fake_telegram.webhook == {
        "url": "https://purse.example.org/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert cp("telegram", "delete-webhook").exit_code == 0
    assert fake_telegram.webhook is None


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("PUBLIC_URL", None, "set COMMONPURSE_PUBLIC_URL"),
        ("PUBLIC_URL", "http://plain.example.org", "set COMMONPURSE_PUBLIC_URL"),
        ("TELEGRAM_WEBHOOK_SECRET", None, "set COMMONPURSE_TELEGRAM_WEBHOOK_SECRET"),
        ("TELEGRAM_BOT_TOKEN", None, "set COMMONPURSE_TELEGRAM_BOT_TOKEN"),
    ],
)
def test_set_webhook_explains_what_is_missing(cp, tg_app, setting, value, message):
    tg_app.config["PUBLIC_URL"] = "https://purse.example.org"
    tg_app.config[setting] = value
    result = cp("telegram", "set-webhook")
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_polling_handles_each_update_once_across_restarts(
    cp, tg_app, fake_telegram, community, db, dispatcher
):
    fake_telegram.updates = [message_update(111, "/start RIVERSIDE"), callback_update(111, "YES")]
    result = cp("telegram", "poll", "--once", "--timeout", "0")
    assert result.exit_code == 0, result.output
    assert "Handled 2 update(s)." in result.output
    assert [c.method for c in fake_telegram.calls].count("answerCallbackQuery") == 1
    assert "Handled 0 update(s)." in cp("telegram", "poll", "--once", "--timeout", "0").output
    with db.transaction() as session:  # even with the offset lost, update ids stop repeats
        session.execute(PollingOffset.__table__.delete())
    assert "Handled 2 update(s)." in cp("telegram", "poll", "--once", "--timeout", "0").output
    assert count(db, InboundLog) == 2 and count(db, OutboxMessage) == 2
    while dispatcher.run_once():
        pass
    texts = fake_telegram.texts(111)
    assert len(texts) == 2 and "Reply YES" in texts[0] and "you're in" in texts[1]


def test_polling_skips_a_malformed_update_and_goes_on(cp, tg_app, fake_telegram, community, db):
    """Issue 26 (2), by long polling: an update the webhook would drop stopped `poll` with a
    traceback, and its offset was never saved, so it came back every time."""
    bad = message_update(111, "hi")
    bad["message"]["text"] = [1, 2]
    fake_telegram.updates = [bad, message_update(111, "/start RIVERSIDE")]
    result = cp("telegram", "poll", "--once", "--timeout", "0")
    assert result.exit_code == 0, result.output
    assert "Handled 2 update(s)." in result.output
    assert count(db, InboundLog) == 1
    assert "Handled 0 update(s)." in cp("telegram", "poll", "--once", "--timeout", "0").output


def _round_with_two_options(cp, tg_user, method):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    park_round(cp, "riverside", tg_user.send, method)
    tg_user.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    (ballot,) = tg_user.receive()
    return ballot, tg_user.keyboard()["inline_keyboard"]


def test_voting_with_toggle_buttons_and_submit(cp, tg_user, community, db):
    ballot, keyboard = _round_with_two_options(cp, tg_user, "approval")
    assert ballot.startswith("Vote now! Park")
    # Each button names its round (@1): one kept from an earlier round votes in no other.
    assert [row[0]["callback_data"] for row in keyboard] == ["TOGGLE 1 @1", "TOGGLE 2 @1", "SUBMIT @1"]
    assert "Selected: 1 benches" in tg_user.press("TOGGLE 1")[0]
    assert tg_user.keyboard()["inline_keyboard"][0][0]["text"].startswith("✅ 1.")
    assert "Selected: 1 benches, 2 a mural" in tg_user.press("TOGGLE 2")[0]
    assert "Selected: 2 a mural" in tg_user.press("TOGGLE 1")[0]
    assert "your vote is in: 2 a mural" in tg_user.press("SUBMIT")[0]
    assert tg_user.last_response["method"] == "answerCallbackQuery"
    with db.transaction() as session:
        from models import Ballot

        assert session.scalars(select(Ballot.choices)).all() == [[2]]


def test_choose_one_buttons_vote_at_once(cp, tg_user, community, db):
    _, keyboard = _round_with_two_options(cp, tg_user, "choose-one")
    assert [row[0]["callback_data"] for row in keyboard] == ["VOTE 1 @1", "VOTE 2 @1"]
    assert "your vote is in: 1 benches" in tg_user.press("VOTE 1 @1")[0]


def test_a_button_kept_from_an_earlier_round_votes_in_no_other(cp, tg_user, community, db, clock):
    """Round 1's option 1 was benches; a button from its ballot, pressed while round 2 is open,
    must not vote for round 2's option 1 (another idea)."""
    from bot.text.catalogue import render
    from models import Ballot

    _round_with_two_options(cp, tg_user, "choose-one")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    tg_user.send("IDEA a skate ramp")
    tg_user.send("£1k")
    tg_user.send("IDEA a book swap")
    tg_user.send("£1k")
    for number in ("3", "4"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    assert (
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Play",
            "--method",
            "choose-one",
            "--ideas",
            "3,4",
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
            "--order",
            "numbered",
        ).exit_code
        == 0
    )
    assert cp("round", "open", "--community", "riverside", "2").exit_code == 0
    tg_user.receive()
    clock.advance(minutes=2)  # past the flood limit of its many messages
    stale, current = tg_user.press("VOTE 1 @1")
    assert stale == render("vote_stale_button", "en") and current.startswith("Play")
    assert [b["callback_data"] for row in tg_user.keyboard()["inline_keyboard"] for b in row] == [
        "VOTE 1 @2",
        "VOTE 2 @2",
    ]
    with db.transaction() as session:
        assert session.scalars(select(Ballot.round_id)).all() == []  # the stale press voted nowhere
    assert "your vote is in: 1 a skate ramp" in tg_user.press("VOTE 1 @2")[0]


def test_one_person_on_sms_and_telegram_has_one_ballot(cp, tg_user, phone_community, db, new_chat):
    sms = new_chat("oneperson", "+447700900123")
    sms.say("hi")
    sms.say("YES")
    park_round(cp, "oneperson", sms.say)
    assert cp("round", "open", "--community", "oneperson", "1").exit_code == 0
    tg_user.send("/start ONEVOTE")
    tg_user.press("YES")
    tg_user.share_contact("447700900123")
    sms.say("1")
    tg_user.press("VOTE 2")
    with db.transaction() as session:
        from models import Ballot

        assert session.scalars(select(Ballot.choices)).all() == [[2]]


def test_a_telegram_update_with_nul_bytes_is_answered_once(tg_user, community, db):
    tg_user.send("/start RIVERSIDE")
    tg_user.send("YES")
    assert "how much" in tg_user.send("IDEA lights\x00 on the path")[0]
    with db.transaction() as session:
        bodies = [log.body for log in session.scalars(select(InboundLog))]
    assert "IDEA lights on the path" in bodies


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 9, "message": {"message_id": 1, "date": 1795600000, "chat": "not a chat"}},
        {"update_id": 10, "callback_query": {"id": "x", "from": "nobody", "chat_instance": "1"}},
        {
            "update_id": 11,
            "message": {"message_id": 1, "date": "soon", "chat": {"id": [1, 2], "type": "private"}},
        },
    ],
)
def test_malformed_telegram_updates_are_acknowledged_and_dropped(tg_user, community, db, update):
    assert tg_user.post(update).status_code == 200
    with db.transaction() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def speaking(update: dict, language_code: str) -> dict:
    """The same update from someone whose Telegram app is set to `language_code`."""
    inner = update.get("message") or update["callback_query"]
    inner["from"] = dict(inner["from"], language_code=language_code)
    return update


def test_a_newcomer_starts_in_their_apps_language_where_it_is_offered(tg_user, make_community, db):
    from bot.text.catalogue import render

    make_community(languages=["en", "cy"])
    (welcome,) = tg_user.deliver(speaking(message_update(tg_user.id, "/start RIVERSIDE"), "cy"))
    assert welcome == render("welcome_telegram", "cy", community="Riverside Big Local")
    labels = [b["text"] for row in tg_user.keyboard()["inline_keyboard"] for b in row]
    assert labels == [render("button_join", "cy"), render("button_no_thanks", "cy")]
    assert tg_user.press("YES") == [render("joined", "cy")]


def test_an_app_language_the_community_does_not_offer_leaves_its_default(tg_user, make_community, db):
    from bot.text.catalogue import render

    make_community(languages=["en", "cy"])
    welcome, offer = tg_user.deliver(speaking(message_update(tg_user.id, "/start RIVERSIDE"), "pl"))
    assert welcome == render("welcome_telegram", "en", community="Riverside Big Local")
    assert offer == render("language_offer", "cy")


def test_language_buttons_switch_the_language(tg_user, make_community, db):
    from bot.text.catalogue import render

    make_community(languages=["en", "cy", "pl"])
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    (menu,) = tg_user.send("LANGUAGE")
    assert menu == render("language_menu", "en", choices="English, Cymraeg, Polski")
    buttons = [(b["text"], b["callback_data"]) for row in tg_user.keyboard()["inline_keyboard"] for b in row]
    assert buttons == [("English", "LANGUAGE en"), ("Cymraeg", "LANGUAGE cy"), ("Polski", "LANGUAGE pl")]
    assert tg_user.press("LANGUAGE pl") == [render("language_set", "pl")]


def _malformed() -> list:
    """The probe's updates that answered 500 or were stored (issue 26, 2), each a real-shaped
    update with one field wrong."""
    text = [7, [1, 2], {"a": 1}, True, 1.5]
    cases = [("text", message_update(111, "hi")) for _ in text]
    for (_, update), value in zip(cases, text, strict=True):
        update["message"]["text"] = value
    for value in text:
        update = callback_update(111, "VOTE 1")
        update["callback_query"]["data"] = value
        cases.append(("data", update))
    for value in [10**20, -(10**20), "soon"]:
        update = message_update(111, "hi")
        update["message"]["date"] = value
        cases.append(("date", update))
    for value in ["abc", [1, 2], True, "True", 10**30, 1.5, None]:
        update = message_update(111, "hi")
        update["message"]["chat"]["id"] = value
        cases.append(("chat id", update))
    update = message_update(111, "hi")
    update["message"]["caption"] = 5
    del update["message"]["text"]
    cases.append(("caption", update))
    for value in ["abc", [1], 10**30, True]:
        update = message_update(111, "hi")
        update["update_id"] = value
        cases.append(("update id", update))
    return [pytest.param(update, id=f"{what}-{i}") for i, (what, update) in enumerate(cases)]


@pytest.mark.parametrize("update", _malformed())
def test_a_malformed_update_gets_200_one_log_line_and_is_not_stored(tg_user, community, db, update, caplog):
    """Issue 26 (2): Telegram retries anything but a 2xx for ever, so a malformed update is
    acknowledged, logged once, and never stored as a resident's message."""
    with caplog.at_level(logging.WARNING):
        response = tg_user.post(update)
    assert response.status_code == 200
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert count(db, InboundLog) == 0 and count(db, OutboxMessage) == 0


@pytest.mark.parametrize("depth", [990, 5_000, 30_000])
def test_deeply_nested_json_is_acknowledged_not_a_500(tg_user, community, db, caplog, depth):
    """Python's json gives up past about 1,000 levels; under that, cleaning and storing the raw
    update would recurse as deep."""
    valid = json.dumps(message_update(111, "hi"))
    body = valid[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    with caplog.at_level(logging.WARNING):
        response = tg_user.client.post(
            "/webhooks/telegram",
            data=body,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 200
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert count(db, InboundLog) == 0
