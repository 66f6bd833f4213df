"""The channel contract, over every registered channel (issue 22): each channel is driven through
its real webhook (the console through `receive`, as `commonpurse chat` drives it), and each test
runs once per channel in `channels.registry.CHANNELS`. A channel registered without a driver
here fails every test, saying so.

Where a capability does not apply to a channel, the test asserts that its spec says so (the
console has no webhook, a phone line sends no text, Telegram posts no delivery reports) rather
than skipping."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from bot.context import get_db
from bot.domain.communities import by_slug
from bot.domain.digest import figures, parse_week
from bot.domain.erasure import erase_resident
from bot.domain.notify import notify
from bot.domain.overview import overview
from bot.messaging.channels import configured_channels
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import keep, receive
from bot.messaging.pending import answer_pending
from bot.text.digest import text as digest_text
from channels.messages import Address, InboundMessage
from channels.registry import CHANNELS
from models import Base, Call, Identity, InboundLog, OutboxMessage, PendingAnswer, Resident
from tests.dashboard_helpers import make_organiser, sign_in
from tests.fake_telegram import TOKEN
from tests.fakes import CollectingChannel
from tests.telegram_helpers import SECRET, message_update
from tests.twilio_helpers import NUMBER, PUBLIC, Caller, inbound, signed, twilio_config

HOME = "+447700900123"  # the resident's phone
CHAT = 735551234  # the resident's Telegram chat
NEWS = "News: the park benches are in"


@dataclass
class Kit:
    """The app with every provider configured, the fakes behind them, and one dispatcher over
    every channel (the console's sends collected)."""

    app: object
    db: object
    clock: Callable
    twilio: object
    telegram: object
    console: CollectingChannel
    dispatcher: Dispatcher

    def dispatch(self) -> None:
        while self.dispatcher.run_once():
            pass

    def everything_sent(self) -> list[str]:
        return [*self.twilio.bodies(), *self.telegram.texts(), *self.console.texts()]


class Driver:
    """How a resident reaches us on one channel. `address` is their address as we store it;
    `trace` what of it must not be left anywhere once they are erased."""

    address: ClassVar[str]
    trace: ClassVar[str]
    # Messages can be left for a worker to answer (INBOUND_ANSWER=worker); a call cannot wait.
    waits: ClassVar[bool] = True

    def __init__(self, kit: Kit, channel: str):
        self.kit, self.channel = kit, channel
        self.client = kit.app.test_client()
        self.said = 1000  # provider ids of the messages `say` sends

    def provider_id(self, n: int) -> str:
        raise NotImplementedError

    def arrive(self, n: int, text: str = "hi") -> None:
        """A genuine message (or call) with provider id `n`, answered and dispatched."""
        raise NotImplementedError

    def say(self, text: str) -> None:
        self.said += 1
        self.arrive(self.said, text)

    def join(self) -> None:
        self.say("hi")
        self.say("YES")

    def stop(self) -> None:
        self.say("STOP")

    def erase(self) -> None:
        self.say("DELETE")
        self.say("DELETE")

    def leave_pending(self, text: str) -> None:
        """A message stored for a worker to answer, and not answered yet."""
        self.kit.app.config["INBOUND_ANSWER"] = "worker"
        try:
            self.say(text)
        finally:
            self.kit.app.config["INBOUND_ANSWER"] = "inline"

    def forge(self) -> list[int]:
        """Post forged requests to each of the channel's webhooks; their status codes."""
        raise NotImplementedError

    def report(self, provider_id: str, status: str, code: str | None = None, forged: bool = False) -> int:
        raise NotImplementedError

    def refuse_next(self, code: str) -> None:
        """The provider refuses the next send with `code`."""
        raise NotImplementedError


class TwilioText(Driver):
    """SMS or WhatsApp through Twilio: signed form posts, as Twilio makes them."""

    address, trace = HOME, HOME[3:]
    path: ClassVar[str]
    status_path: ClassVar[str]
    scheme: ClassVar[str]
    other_path: ClassVar[str]  # another Twilio webhook, whose signature must not do here

    def provider_id(self, n: int) -> str:
        return f"SM{n:032d}"

    def params(self, text: str, n: int) -> dict:
        return inbound(text, self.scheme + HOME, to=self.scheme + NUMBER, sid=self.provider_id(n))

    def post(self, path: str, params: dict, headers: dict) -> int:
        return self.client.post(path, data=params, headers=headers).status_code

    def arrive(self, n: int, text: str = "hi") -> None:
        params = self.params(text, n)
        assert self.post(self.path, params, signed(params, PUBLIC + self.path)) == 200
        self.kit.dispatch()

    def forge(self) -> list[int]:
        message = self.params("STOP", 1)
        report = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "failed", "ErrorCode": "21211"}
        return [
            self.post(path, form, headers)
            for form in (message, report)
            for path in (self.path, self.status_path)
            for headers in (
                {},
                {"X-Twilio-Signature": "forged"},
                signed(form, PUBLIC + self.other_path),  # genuine, for another webhook
                signed({**form, "Body": "YES", "MessageStatus": "delivered"}, PUBLIC + path),  # altered
            )
        ]

    def report(self, provider_id: str, status: str, code: str | None = None, forged: bool = False) -> int:
        params = {"MessageSid": provider_id, "MessageStatus": status, **({"ErrorCode": code} if code else {})}
        headers = {"X-Twilio-Signature": "forged"} if forged else signed(params, PUBLIC + self.status_path)
        return self.post(self.status_path, params, headers)

    def refuse_next(self, code: str) -> None:
        self.kit.twilio.fail_next(400, int(code))


class SMS(TwilioText):
    path, status_path, scheme = "/webhooks/twilio/sms", "/webhooks/twilio/status", ""
    other_path = "/webhooks/twilio/whatsapp"


class WhatsApp(TwilioText):
    path, status_path, scheme = "/webhooks/twilio/whatsapp", "/webhooks/twilio/whatsapp/status", "whatsapp:"
    other_path = "/webhooks/twilio/sms"


class Voice(Driver):
    """The phone line: a call comes in (its CallSid the provider id), then keys on each page."""

    address, trace = HOME, HOME[3:]
    waits = False
    paths = (
        "/webhooks/twilio/voice",
        "/webhooks/twilio/voice?page=1",
        "/webhooks/twilio/voice/record?page=1",
    )

    def provider_id(self, n: int) -> str:
        return f"CA{n:032d}"

    def arrive(self, n: int, text: str = "") -> None:
        self.caller = Caller(self.kit.app, HOME, sid=self.provider_id(n))
        self.caller.call()

    def join(self) -> None:
        self.say("")
        assert self.caller.press("1")[0] == "Thank you, you have joined."

    def stop(self) -> None:
        self.say("")
        self.caller.press("9")
        assert self.caller.hung_up

    def erase(self) -> None:
        """There is no erasure by keypad: the domain's (what DELETE by text from this phone does)."""
        with self.kit.db.transaction() as session:
            erase_resident(session, resident_of(session, self), self.kit.clock())

    def forge(self) -> list[int]:
        caller = Caller(self.kit.app, HOME)
        params = caller.params(Digits="1")
        return [
            self.client.post(path, data=params, headers=headers).status_code
            for path in (*self.paths, "/webhooks/twilio/voice/status")
            for headers in (
                {},
                {"X-Twilio-Signature": "forged"},
                signed(params, PUBLIC + "/webhooks/twilio/sms"),
                signed({**params, "Digits": "9"}, PUBLIC + path),
            )
        ]


class Telegram(Driver):
    """A private chat with the bot: updates with the webhook's secret token."""

    address, trace = str(CHAT), str(CHAT)
    # What the Bot API says with each error code the spec names (the adapter reads the error).
    refusals: ClassVar[dict[str, str]] = {"403": "Forbidden: bot was blocked by the user"}

    def provider_id(self, n: int) -> str:
        return str(n)

    def post(self, update: dict, secret: str | None = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=update, headers=headers).status_code

    def arrive(self, n: int, text: str = "hi") -> None:
        assert self.post({**message_update(CHAT, text), "update_id": n}) == 200
        self.kit.dispatch()

    def join(self) -> None:
        """As a newcomer does: writes, is asked for the join code, gives it, says yes."""
        for text in ("hi", "RIVERSIDE", "YES"):
            self.say(text)

    def forge(self) -> list[int]:
        update = {**message_update(CHAT, "STOP"), "update_id": 1}
        return [self.post(update, secret) for secret in (None, "", "wrong", SECRET + "x")]

    def refuse_next(self, code: str) -> None:
        self.kit.telegram.fail_next(int(code), self.refusals[code])


class Console(Driver):
    """A resident in a terminal: no webhook, `receive` as `commonpurse chat` calls it."""

    address, trace = HOME, HOME[3:]

    def provider_id(self, n: int) -> str:
        return f"console-{n}"

    def message(self, n: int, text: str) -> InboundMessage:
        return InboundMessage(
            Address("console", HOME),
            text,
            self.provider_id(n),
            self.kit.clock(),
            "riverside",
            raw={"line": text},
        )

    def arrive(self, n: int, text: str = "hi") -> None:
        message, now = self.message(n, text), self.kit.clock()
        if self.kit.app.config["INBOUND_ANSWER"] == "worker":  # as the webhooks' `take` does
            keep(self.kit.db, message, now)
        else:
            receive(self.kit.db, message, now)
        self.kit.dispatch()


DRIVERS: dict[str, type[Driver]] = {
    "sms": SMS,
    "whatsapp": WhatsApp,
    "voice": Voice,
    "telegram": Telegram,
    "console": Console,
}


def resident_of(session, driver: Driver) -> Resident:
    kind = CHANNELS[driver.channel].identity_kind
    return session.scalars(
        select(Resident).join(Identity).where(Identity.kind == kind, Identity.value == driver.address)
    ).one()


def queue_news(db, driver: Driver, clock) -> int:
    """News queued for the resident (not sent yet), where we reach them; its outbox id."""
    with db.transaction() as session:
        resident = resident_of(session, driver)
        queued = notify(session, by_slug(session, "riverside"), resident, NEWS, clock(), rendered=True)
        session.flush()
        return queued.id


@pytest.fixture
def kit(app, db, clock, fake_twilio, fake_telegram, community):
    app.config.update(
        twilio_config(fake_twilio),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
        TELEGRAM_CHAT_MESSAGES_PER_SECOND=1000,
        TELEGRAM_MESSAGES_PER_SECOND=1000,
    )
    console = CollectingChannel("console")
    senders = configured_channels(app)
    yield Kit(
        app,
        get_db(app),
        clock,
        fake_twilio,
        fake_telegram,
        console,
        Dispatcher(db, {**senders, "console": console}, clock),
    )
    senders["telegram"].close()


@pytest.fixture(params=list(CHANNELS))
def channel(request) -> str:
    return request.param


@pytest.fixture
def driver(channel, kit) -> Driver:
    if channel not in DRIVERS:
        pytest.fail(f"channel {channel!r} is registered but has no driver: add one to DRIVERS in {__name__}")
    return DRIVERS[channel](kit, channel)


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def stored(db) -> dict[str, int]:
    """How many rows each table holds."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def traces(db, needle: str) -> list[str]:
    """Every table.column, across the whole database, holding `needle` in any value."""
    found = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                found += [
                    f"{table.name}.{name}" for name, value in row._mapping.items() if needle in str(value)
                ]
    return sorted(set(found))


def test_every_registered_channel_has_a_driver():
    assert set(CHANNELS) <= set(DRIVERS), f"channels without a driver: {set(CHANNELS) - set(DRIVERS)}"


def test_forged_requests_are_refused_and_nothing_is_stored(channel, driver, db):
    spec = CHANNELS[channel]
    if spec.blueprint is None and spec.call_blueprint is None:
        assert type(driver).forge is Driver.forge  # no webhook to forge (the console)
        return
    before = stored(db)
    statuses = driver.forge()
    assert statuses and set(statuses) == {403}
    assert stored(db) == before


def _pages(db) -> list[tuple[str, int]]:
    with db.transaction() as session:
        return [(sid, page) for sid, page in session.execute(select(Call.call_sid, Call.page))]


@pytest.mark.parametrize("answer", ["inline", "worker"])
def test_a_repeat_is_stored_once_and_answered_once(channel, driver, db, clock, answer):
    """Answered as it comes, or stored for a worker (a call is answered at once either way)."""
    driver.kit.app.config["INBOUND_ANSWER"] = answer
    driver.arrive(1)
    driver.arrive(1)
    assert count(db, PendingAnswer) == (answer == "worker" and driver.waits)
    answer_pending(db, clock, None)
    driver.kit.dispatch()
    assert count(db, InboundLog, InboundLog.provider_message_id == driver.provider_id(1)) == 1
    assert count(db, InboundLog, InboundLog.channel == channel) == 1
    # one answer: a newcomer's "hi" gets one reply; a call its first page, played once (a
    # repeat of the request is played the same page again, and the call stays on it)
    with db.transaction() as session:
        pages = session.scalars(select(Call.page)).all()
    assert count(db, OutboxMessage) + sum(pages) == 1


def test_stop_withdraws_what_was_queued_for_them(channel, driver, db, clock):
    driver.join()
    queued = queue_news(db, driver, clock)
    driver.stop()
    with db.transaction() as session:
        assert session.get(OutboxMessage, queued).status == "cancelled"
        assert resident_of(session, driver).opted_out
    driver.kit.dispatch()
    assert NEWS not in driver.kit.everything_sent()


def test_erasure_leaves_no_address_of_theirs_anywhere(channel, driver, db, caplog):
    caplog.set_level(logging.DEBUG)
    driver.join()
    if driver.waits:
        driver.leave_pending("IDEA a pond")
        assert count(db, PendingAnswer) == 1
    else:  # a call is answered at once; its state is kept, by CallSid, while it lasts
        assert CHANNELS[channel].call_blueprint is not None
        assert count(db, Call, Call.ended_at.is_(None)) == 1
    assert traces(db, driver.trace)
    driver.erase()
    driver.kit.dispatch()  # the erasure's confirmation, forgotten once sent
    assert count(db, PendingAnswer) == 0 and count(db, Call) == 0 and count(db, Identity) == 0
    assert traces(db, driver.trace) == []
    assert [r.getMessage() for r in caplog.records if driver.trace in r.getMessage()] == []


def _last_sent(db, channel) -> OutboxMessage:
    with db.transaction() as session:
        return session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.status == "sent")
            .order_by(OutboxMessage.id.desc())
        ).first()


def test_delivery_reports_land_on_the_outbox_row(channel, driver, db):
    spec = CHANNELS[channel]
    if not spec.delivery_reports:
        assert type(driver).report is Driver.report  # nothing to post one to (Telegram, voice)
        return
    driver.join()
    row = _last_sent(db, channel)
    assert driver.report(row.provider_id, "delivered") == 204
    assert driver.report(row.provider_id, "sent") == 204  # late, out of order
    assert driver.report(row.provider_id, "failed", forged=True) == 403
    with db.transaction() as session:
        assert session.get(OutboxMessage, row.id).status == "delivered"


def _dead_codes():
    return [
        pytest.param(name, code, way, id=f"{name}-{code}-{way}")
        for name, spec in CHANNELS.items()
        for code in spec.unreachable
        for way in ("send", "report")
        if way == "send" or spec.delivery_reports
    ]


def test_channels_without_dead_address_codes_send_through_no_provider(channel, kit):
    spec = CHANNELS[channel]
    if not spec.unreachable:
        assert spec.sender(kit.app.config) is None  # the console prints; a phone line sends nothing


@pytest.mark.parametrize("channel, code, way", _dead_codes())
def test_each_dead_address_code_marks_the_address(channel, code, way, driver, db, clock):
    """Marked by a send the provider refuses with the code, or by a delivery report saying it;
    what was queued for the address is withdrawn, and nothing more is queued for it."""
    reason = CHANNELS[channel].unreachable[code]
    driver.join()
    if way == "send":
        refused = queue_news(db, driver, clock)
        later = queue_news(db, driver, clock)
        driver.refuse_next(code)
        driver.kit.dispatch()
        with db.transaction() as session:
            row = session.get(OutboxMessage, refused)
            assert (row.channel, row.status, row.error_code) == (channel, "failed", code)
    else:
        sent = _last_sent(db, channel)
        later = queue_news(db, driver, clock)
        assert driver.report(sent.provider_id, "undelivered", code) == 204
        driver.kit.dispatch()
    with db.transaction() as session:
        assert session.get(OutboxMessage, later).status == "cancelled"
        resident = resident_of(session, driver)
        assert [i.unreachable for i in resident.identities] == [reason]
        assert notify(session, by_slug(session, "riverside"), resident, NEWS, clock(), rendered=True) is None
    assert NEWS not in driver.kit.everything_sent()
    driver.say("BUDGET")  # written from again: it lives after all (a number found invalid stays so)
    with db.transaction() as session:
        again = None if reason != "invalid" else reason
        assert [i.unreachable for i in resident_of(session, driver).identities] == [again]


def test_the_channel_is_counted_in_the_digest_and_on_the_dashboard(channel, driver, db, clock):
    spec = CHANNELS[channel]
    driver.join()
    with db.transaction() as session:
        place = by_slug(session, "riverside")
        f = figures(session, place, parse_week("2026-W48", place.timezone), clock())
        members = overview(session, place, clock()).members_by_channel
    # the community's own (not what a Telegram chat wrote before it chose one, nor our answer)
    received = count(db, InboundLog, InboundLog.channel == channel, InboundLog.community_id == place.id)
    sent = count(
        db,
        OutboxMessage,
        OutboxMessage.channel == channel,
        OutboxMessage.community_id == place.id,
        OutboxMessage.sent_at.is_not(None),
    )
    participation = f["participation"]
    if spec.label:
        assert participation[f"messages_in_{channel}"]["this_week"] == received > 0
        assert f"{spec.label} received: {received} " in digest_text(f)
        if spec.sends_text:
            assert participation[f"messages_out_{channel}"]["this_week"] == sent > 0
        else:
            assert f"messages_out_{channel}" not in participation and sent == 0
    else:  # the console, a stand-in for a phone, is not the council's business
        assert not [key for key in participation if key.endswith(channel)]
    make_organiser(driver.kit.app, clock)
    client = driver.kit.app.test_client()
    sign_in(client)
    page = client.get("/dashboard/riverside/").get_data(as_text=True)
    if spec.title:
        assert members[spec.title] == 1 and f"By {spec.title}: 1" in page
    else:  # counted as its kind's default channel (SMS for a phone)
        assert sum(members.values()) == 1
