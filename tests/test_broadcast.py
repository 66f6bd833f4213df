"""Broadcasts: one message to every member who can hear it, in their language, to the address
they used last, once each, queued in a few statements."""

from datetime import timedelta

from sqlalchemy import event, select

from bot.domain.notify import broadcast, members, notify
from bot.domain.residents import (
    admit,
    identity_kind,
    mark_unreachable,
    opt_out,
    resident_for,
)
from bot.messaging.dispatcher import Dispatcher
from channels.messages import Address, Choice
from models import Community, Identity, OutboxMessage, Resident
from tests.fakes import CollectingChannel

SMS, TELEGRAM = Address("sms", "+447700900001"), Address("telegram", "5551234")


def _resident(session, community, clock, *addresses: Address, status="active", language=None):
    """A resident who wrote from each address in turn (a second later each time)."""
    resident = resident_for(session, community, addresses[0], clock())
    for n, address in enumerate(addresses[1:], start=1):
        at = clock() + timedelta(seconds=n)
        resident.identities.append(
            Identity(
                community_id=community.id,
                kind=identity_kind(address.channel),
                value=address.user_id,
                last_channel=address.channel,
                last_seen_at=at,
                created_at=at,
            )
        )
    if status == "active":
        admit(resident)
    resident.status, resident.language = status, language
    session.flush()
    return resident


def _town(db, clock, community):
    """Members by SMS, by Telegram, in Polish, with two identities, with a dead one; and
    residents who must hear nothing: stopped, pending, erased, without a live address."""
    with db.transaction() as session:
        town = session.get(Community, community.id)
        town.languages = ["en", "pl"]
        _resident(session, town, clock, SMS)
        _resident(session, town, clock, TELEGRAM)
        _resident(session, town, clock, Address("sms", "+447700900002"), language="pl")
        _resident(session, town, clock, Address("sms", "+447700900003"), Address("telegram", "5550003"))
        dead = _resident(
            session, town, clock, Address("telegram", "5550004"), Address("sms", "+447700900004")
        )
        mark_unreachable(session, town.id, Address("sms", "+447700900004"), "opted_out")
        opt_out(session, _resident(session, town, clock, Address("sms", "+447700900005")), clock(), "sms")
        _resident(session, town, clock, Address("sms", "+447700900006"), status="pending")
        _resident(session, town, clock, Address("sms", "+447700900007"), status="erased")
        _resident(session, town, clock, Address("sms", "+447700900008"))
        mark_unreachable(session, town.id, Address("sms", "+447700900008"), "invalid")
        return dead.id


def _queued(db, prefix: str) -> list[tuple]:
    with db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.idempotency_key.startswith(prefix))
            .order_by(OutboxMessage.resident_id)
        )
        return [
            (
                r.resident_id,
                r.channel,
                r.address,
                r.sender,
                r.body,
                r.choices,
                r.segments,
                r.status,
                r.idempotency_key.removeprefix(prefix),
            )
            for r in rows
        ]


def _one_by_one(db, clock, text_or_key, key, **values):
    """What notify(), once per member, queues: the behaviour broadcast() keeps."""
    with db.transaction() as session:
        town = session.scalars(select(Community)).one()
        for resident in members(session, town):
            notify(session, town, resident, text_or_key, clock(), key=f"{key}:{resident.id}", **values)


def _broadcast(db, clock, *args, **kwargs) -> int:
    with db.transaction() as session:
        return broadcast(session, session.scalars(select(Community)).one(), *args, clock(), **kwargs)


def test_a_broadcast_queues_what_notify_would_once_per_member(db, clock, community):
    dead_sms = _town(db, clock, community)
    _one_by_one(db, clock, "budget_news", "before", update="The garden opened")
    assert _broadcast(db, clock, "budget_news", key="after", update="The garden opened") == 5
    after = _queued(db, "after:")
    assert after == _queued(db, "before:")
    by_address = {(channel, address): (sender, body) for _, channel, address, sender, body, *_ in after}
    assert by_address == {
        ("sms", "+447700900001"): (
            "+441632960001",
            "Riverside Big Local budget news: The garden opened Send BUDGET for the figures.",
        ),
        ("telegram", "5551234"): (
            None,
            "Riverside Big Local budget news: The garden opened Send BUDGET for the figures.",
        ),
        ("sms", "+447700900002"): (
            "+441632960001",
            "Riverside Big Local - wieści o budżecie: The garden opened Wyślij BUDŻET, by zobaczyć liczby.",
        ),
        ("telegram", "5550003"): (
            None,
            "Riverside Big Local budget news: The garden opened Send BUDGET for the figures.",
        ),  # the one used last
        ("telegram", "5550004"): (
            None,
            "Riverside Big Local budget news: The garden opened Send BUDGET for the figures.",
        ),  # its SMS is dead
    }
    assert dead_sms in {row[0] for row in after}


def test_a_repeat_queues_nothing_twice(db, clock, community):
    _town(db, clock, community)
    assert _broadcast(db, clock, "budget_news", key="news:1", update="Once") == 5
    assert _broadcast(db, clock, "budget_news", key="news:1", update="Once") == 0
    with db.transaction() as session:  # a member who joined since gets it on a repeat
        _resident(session, session.scalars(select(Community)).one(), clock, Address("sms", "+447700900009"))
    assert _broadcast(db, clock, "budget_news", key="news:1", update="Once") == 1
    assert len(_queued(db, "news:1:")) == 6


def test_choices_and_a_text_made_per_language(db, clock, community):
    _town(db, clock, community)
    choices = (Choice("1", "VOTE 1"), Choice("2", "VOTE 2"))

    def ballot(language):
        return f"Vote ({language})", choices

    _one_by_one(db, clock, "Vote (en)", "before", rendered=True, choices=choices)
    assert _broadcast(db, clock, ballot, key="after") == 5
    after = _queued(db, "after:")
    assert {row[4] for row in after} == {"Vote (en)", "Vote (pl)"}
    buttons = [
        {"label": "1", "payload": "VOTE 1", "request_contact": False},
        {"label": "2", "payload": "VOTE 2", "request_contact": False},
    ]
    # The choices go where they show as buttons; an SMS row stores none (they were most of a
    # 50-option ballot's bytes, for nothing).
    assert {row[1] for row in after} == {"sms", "telegram"}
    assert all(row[5] == (buttons if row[1] == "telegram" else None) for row in after)
    assert [row[:4] for row in after] == [row[:4] for row in _queued(db, "before:")]


def test_members_left_out_get_nothing(db, clock, community):
    _town(db, clock, community)
    with db.transaction() as session:
        first = session.scalar(select(Resident.id).order_by(Resident.id))
    assert _broadcast(db, clock, lambda language: "Hello", key="some", unless=Resident.id.in_([first])) == 4
    assert first not in {row[0] for row in _queued(db, "some:")}
    assert _broadcast(db, clock, lambda language: "Hello", key="none", unless=Resident.id.in_([])) == 5


def test_a_broadcast_is_a_few_statements_whatever_the_number_of_members(db, clock, community):
    _town(db, clock, community)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        _broadcast(db, clock, "budget_news", key="counted", update="Few")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT"))]) <= 4


def _sent_by_dispatcher(db, clock) -> dict[str, list[tuple[str, str]]]:
    channels = {"sms": CollectingChannel("sms"), "telegram": CollectingChannel("telegram")}
    dispatcher = Dispatcher(db, channels, clock, batch=50)
    while dispatcher.run_once():
        pass
    return {
        name: sorted((m.address.user_id, m.text) for m in channel.sent) for name, channel in channels.items()
    }


def test_a_budget_update_reaches_sms_and_telegram_members_once(cp, db, clock, community):
    _town(db, clock, community)
    result = cp("budget", "update", "--community", "riverside", "--text", "Benches ordered", "--broadcast")
    assert result.exit_code == 0 and "Sent to 5 members." in result.output
    # The organiser typed no full stop: the update does not run into "Send BUDGET".
    news = "Riverside Big Local budget news: Benches ordered. Send BUDGET for the figures."
    polish = "Riverside Big Local - wieści o budżecie: Benches ordered. Wyślij BUDŻET, by zobaczyć liczby."
    assert _sent_by_dispatcher(db, clock) == {
        "sms": [("+447700900001", news), ("+447700900002", polish)],
        "telegram": [("5550003", news), ("5550004", news), ("5551234", news)],
    }
    with db.transaction() as session:
        update_id = session.scalar(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.address == "+447700900001")
        ).split(":")[1]
        assert (
            broadcast(
                session,
                session.scalars(select(Community)).one(),
                "budget_news",
                clock(),
                key=f"budget-update:{update_id}",
                update="Benches ordered",
            )
            == 0
        )
    assert _sent_by_dispatcher(db, clock) == {"sms": [], "telegram": []}


def test_a_budget_update_through_the_api_skips_who_stopped(client, cp, db, clock, community, member):
    member.say("STOP")
    assert (
        cp(
            "organiser",
            "create",
            "--email",
            "sam@example.org",
            "--name",
            "Sam",
            "--community",
            "riverside",
            "--password",
            "a long passphrase",
        ).exit_code
        == 0
    )
    token = cp("token", "create", "--email", "sam@example.org", "--name", "laptop").output.strip()
    response = client.post(
        "/api/v1/communities/riverside/budget/updates",
        json={"text": "Garden open", "broadcast": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (response.status_code, response.get_json()["sent"]) == (201, 0)
    assert member.inbox() == []
    member.say("START")
    response = client.post(
        "/api/v1/communities/riverside/budget/updates",
        json={"text": "Benches ordered", "broadcast": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.get_json()["sent"] == 1
    news = "Riverside Big Local budget news: Benches ordered. Send BUDGET for the figures."
    assert member.inbox() == [news]


def test_every_version_in_every_language_is_one_statement(db, clock, community):
    """A round opening sends each member the ballot in their own rotation of the options: one
    INSERT for all rotations and languages (it was one per rotation and language, each reading
    the whole membership), each member given the text of their language and version."""
    _town(db, clock, community)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        queued = _broadcast(
            db,
            clock,
            lambda language, version: (f"Ballot {version} ({language})", (Choice(str(version), "VOTE"),)),
            key="rotated",
            versions=(Resident.id % 7, 7),
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert queued == 5
    assert len([s for s in statements if s.startswith("INSERT")]) == 1
    with db.transaction() as session:
        languages = {r.id: r.language or "en" for r in session.scalars(select(Resident))}
    assert [(row[4], row[5]) for row in _queued(db, "rotated:")] == [
        (
            f"Ballot {row[0] % 7} ({languages[row[0]]})",
            [{"label": str(row[0] % 7), "payload": "VOTE", "request_contact": False}]
            if row[1] == "telegram"
            else None,  # SMS shows no buttons
        )
        for row in _queued(db, "rotated:")
    ]
