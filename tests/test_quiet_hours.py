"""Quiet hours: what we start to many waits in the outbox through the community's night and
goes when it ends; answers to a resident never wait."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain.inbox import reply as inbox_reply
from bot.domain.inbox import threads
from bot.domain.quiet_hours import quiet_until
from models import Community, OutboxMessage
from scheduler import jobs, runtime
from scheduler.service import build
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.round_helpers import make_round
from tests.twilio_helpers import Phone, twilio_config

# make_round's members, by SMS
ANN, BOB = "+447700900200", "+447700900201"


def _town(tz="Europe/London", start="21:00", end="08:00") -> Community:
    return Community(timezone=tz, quiet_start=start, quiet_end=end)


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (_at(2026, 11, 27, 2, 0), _at(2026, 11, 27, 8, 0)),  # after midnight
        (_at(2026, 11, 26, 21, 0), _at(2026, 11, 27, 8, 0)),  # from the start, to the next morning
        (_at(2026, 11, 26, 20, 59), None),
        (_at(2026, 11, 27, 8, 0), None),  # the end itself is not quiet
        (_at(2026, 11, 27, 7, 59), _at(2026, 11, 27, 8, 0)),
        # British Summer Time: 08:00 in London is 07:00 UTC, and 21:00 is 20:00 UTC
        (_at(2026, 7, 1, 20, 30), _at(2026, 7, 2, 7, 0)),
        (_at(2026, 7, 1, 7, 0), None),
        # the night the clocks go forward (29 March 2026, 01:00 UTC): 8am BST is 07:00 UTC
        (_at(2026, 3, 28, 23, 0), _at(2026, 3, 29, 7, 0)),
        # the night they go back (25 October 2026, 01:00 UTC): 8am GMT is 08:00 UTC
        (_at(2026, 10, 24, 22, 0), _at(2026, 10, 25, 8, 0)),
    ],
)
def test_quiet_hours_span_midnight_and_follow_the_clocks(now, until):
    assert quiet_until(_town(), now) == until


def test_quiet_hours_within_a_day_in_another_timezone_and_none():
    lunch = _town("Europe/Warsaw", "12:00", "14:00")
    assert quiet_until(lunch, _at(2026, 11, 26, 11, 30)) == _at(2026, 11, 26, 13, 0)  # 12:30 in Warsaw
    assert quiet_until(lunch, _at(2026, 11, 26, 13, 0)) is None
    assert quiet_until(_town(start="00:00", end="00:00"), _at(2026, 11, 26, 2, 0)) is None


@pytest.fixture
def sms_app(app, fake_twilio):
    app.config.update(twilio_config(fake_twilio))
    return app


@pytest.fixture
def sched(sms_app):
    scheduler = build(sms_app, blocking=False)
    runtime.bind(sms_app, scheduler, "test-holder")
    scheduler.start(paused=True)  # the test calls the jobs
    yield scheduler
    scheduler.shutdown(wait=False)


def test_a_ballot_opening_at_2am_goes_at_8am_while_an_answer_goes_at_once(
    sms_app, fake_twilio, sched, db, clock, community
):
    # 10:00 on Thursday 26 Nov (GMT); the round opens at 02:00 on Friday
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16))
    ann, bob = Phone(sms_app, fake_twilio, ANN), Phone(sms_app, fake_twilio, BOB)
    ann.receive(), bob.receive()  # news of their ideas, by day
    clock.current = _at(2026, 11, 27, 2, 0)
    jobs.open_round(round_id)
    assert ann.receive() == [] and bob.receive() == []
    with db.transaction() as session:
        held = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("round-open:%"))
        )
        assert {row.next_attempt_at for row in held} == {_at(2026, 11, 27, 8, 0)}

    answer = bob.text("BUDGET")  # a resident's own message is answered at once, night or not
    assert len(answer) == 1 and "Still to decide" in answer[0]

    clock.current = _at(2026, 11, 27, 7, 59)
    assert ann.receive() == [] and bob.receive() == []
    clock.current = _at(2026, 11, 27, 8, 0)
    ballot = ann.receive()
    assert len(ballot) == 1 and "Park" in ballot[0]
    assert len(bob.receive()) == 1


def test_stop_withdraws_a_held_ballot(sms_app, fake_twilio, sched, db, clock, community):
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16))
    ann, bob = Phone(sms_app, fake_twilio, ANN), Phone(sms_app, fake_twilio, BOB)
    ann.receive(), bob.receive()  # news of their ideas, by day
    clock.current = _at(2026, 11, 27, 2, 0)
    jobs.open_round(round_id)
    clock.current = _at(2026, 11, 27, 6, 0)
    assert "won't get any more messages" in bob.text("STOP")[0]
    clock.current = _at(2026, 11, 27, 8, 0)
    assert bob.receive() == [] and len(ann.receive()) == 1


def test_an_organisers_reply_from_the_inbox_is_not_held(sms_app, fake_twilio, db, clock, community):
    make_round(db, community, clock())  # two members
    ann = Phone(sms_app, fake_twilio, ANN)
    ann.receive()  # news of their ideas, by day
    clock.current = _at(2026, 11, 26, 22, 30)
    assert "passed" in ann.text("when is the next meeting?")[0]
    with db.transaction() as session:
        town = session.get(Community, community.id)
        inbox_reply(session, town, threads(session, town)[0].thread, "Tuesday at 7pm, in the hall.", clock())
    assert any("Tuesday at 7pm" in text for text in ann.receive())


def test_quiet_hours_are_set_from_the_cli_with_one_line_refusals(cp, db, community):
    done = cp("community", "quiet-hours", "--community", "riverside", "--from", "22:00", "--to", "07:30")
    assert done.exit_code == 0 and "22:00 to 07:30" in done.output
    bad = cp("community", "quiet-hours", "--community", "riverside", "--to", "7.30")
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "21:00" in bad.output
    off = cp("community", "quiet-hours", "--community", "riverside", "--off")
    assert off.exit_code == 0 and "none" in off.output
    assert json.loads(cp("community", "list", "--json").output)[0]["quiet_hours"] is None
    with db.transaction() as session:
        town = session.get(Community, community.id)
        assert (town.quiet_start, town.quiet_end) == ("00:00", "00:00")


def test_quiet_hours_are_set_on_the_digest_page(app, client, db, clock, community):
    make_organiser(app, clock)
    sign_in(client)
    page = "/dashboard/riverside/digest"
    assert 'value="21:00"' in client.get(page).text
    refused = post(client, page + "/quiet-hours", page=page, quiet_start="25:00", quiet_end="07:00")
    assert refused.status_code == 422 and "is not a time like 21:00" in refused.text
    saved = post(client, page + "/quiet-hours", page=page, quiet_start="22:00", quiet_end="07:00")
    assert saved.status_code in (302, 303)
    with db.transaction() as session:
        town = session.get(Community, community.id)
        assert (town.quiet_start, town.quiet_end) == ("22:00", "07:00")


def test_the_round_page_and_the_budget_update_say_when_held_messages_go(app, client, db, clock, community):
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16))
    clock.current = _at(2026, 11, 27, 2, 0)
    make_organiser(app, clock)
    sign_in(client)
    asked = post(client, "/dashboard/riverside/rounds/1/open", page="/dashboard/riverside/rounds/1")
    assert "go out at Fri 27 Nov 2026, 08:00" in asked.text
    post(client, "/dashboard/riverside/rounds/1/open", page="/dashboard/riverside/rounds/1", confirmed="yes")
    shown = client.get("/dashboard/riverside/rounds/1").text
    assert 'id="held"' in shown and "go out at Fri 27 Nov 2026, 08:00" in shown
    money = "/dashboard/riverside/money"
    confirm = post(
        client, money + "/update", page=money, text="The garden opens on Saturday.", broadcast="yes"
    )
    assert "goes out at Fri 27 Nov 2026, 08:00" in confirm.text
    assert round_id


def test_a_ballot_that_would_wait_past_the_close_goes_at_once(
    sms_app, fake_twilio, sched, db, clock, community
):
    # opens at 02:00, closes at 07:00: held until 08:00 it would come too late to vote
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16), lasts=timedelta(hours=5))
    ann = Phone(sms_app, fake_twilio, ANN)
    ann.receive()
    clock.current = _at(2026, 11, 27, 2, 0)
    jobs.open_round(round_id)
    ballot = ann.receive()
    assert len(ballot) == 1 and "Park" in ballot[0]


def test_a_round_cancelled_in_the_night_takes_back_its_held_ballot(
    sms_app, fake_twilio, sched, db, clock, community
):
    """Opened at 02:00 and called off at 03:00: at 08:00 members got the ballot of a round
    already cancelled, then the cancellation."""
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16))
    ann, bob = Phone(sms_app, fake_twilio, ANN), Phone(sms_app, fake_twilio, BOB)
    ann.receive(), bob.receive()
    clock.current = _at(2026, 11, 27, 2, 0)
    jobs.open_round(round_id)
    clock.current = _at(2026, 11, 27, 3, 0)
    with db.transaction() as session:
        from bot.domain.rounds import cancel_round
        from models import Round

        cancel_round(session, session.get(Round, round_id), clock())
    clock.current = _at(2026, 11, 27, 8, 0)
    for phone in (ann, bob):
        (only,) = phone.receive()
        assert "cancelled" in only and "Park" in only


def test_a_held_reminder_is_taken_back_from_who_votes_in_the_night(
    sms_app, fake_twilio, sched, db, clock, community
):
    round_id = make_round(
        db,
        community,
        clock(),
        opens_in=timedelta(hours=1),
        lasts=timedelta(days=3),
        remind_after=timedelta(hours=14),
    )
    ann, bob = Phone(sms_app, fake_twilio, ANN), Phone(sms_app, fake_twilio, BOB)
    clock.current = _at(2026, 11, 26, 11, 0)
    jobs.open_round(round_id)
    ann.receive(), bob.receive()  # the ballots, by day
    clock.current = _at(2026, 11, 27, 1, 0)
    jobs.remind_round(round_id)  # held until 08:00
    assert "your vote is in" in ann.text("1")[0].lower()  # Ann votes at 01:00
    clock.current = _at(2026, 11, 27, 8, 0)
    assert ann.receive() == []  # no "you have not voted yet"
    assert len(bob.receive()) == 1


def test_a_vote_takes_back_the_held_reminder_when_its_round_was_read_before_the_reminder(
    sms_app, fake_twilio, sched, db, clock, community
):
    """A worker's group reads the open round once (bot/messaging/pending.py). A reminder queued
    after that read left the group's round saying "no reminder yet", and a resident who voted
    in that group still got "you have not voted yet" at 08:00."""
    from sqlalchemy.orm.attributes import set_committed_value

    from bot.domain.ballots import cast
    from bot.domain.residents import resident_for
    from channels.messages import Address
    from models import Round

    round_id = make_round(
        db,
        community,
        clock(),
        opens_in=timedelta(hours=1),
        lasts=timedelta(days=3),
        remind_after=timedelta(hours=14),
    )
    ann = Phone(sms_app, fake_twilio, ANN)
    clock.current = _at(2026, 11, 26, 11, 0)
    jobs.open_round(round_id)
    ann.receive()
    clock.current = _at(2026, 11, 27, 1, 0)
    jobs.remind_round(round_id)  # held until 08:00
    with db.transaction() as session:
        round_ = session.get_one(Round, round_id)
        set_committed_value(round_, "reminded_at", None)  # as the group read it, before the reminder
        resident = resident_for(
            session, session.get_one(Community, community.id), Address("sms", ANN), clock()
        )
        cast(session, round_, resident, [1], "sms", clock())
    clock.current = _at(2026, 11, 27, 8, 0)
    assert ann.receive() == []


def test_a_round_closed_in_the_night_sends_its_result_not_its_held_ballot(
    sms_app, fake_twilio, sched, db, clock, community
):
    round_id = make_round(db, community, clock(), opens_in=timedelta(hours=16))
    ann = Phone(sms_app, fake_twilio, ANN)
    ann.receive()
    clock.current = _at(2026, 11, 27, 2, 0)
    jobs.open_round(round_id)
    clock.current = _at(2026, 11, 27, 6, 0)
    with db.transaction() as session:  # closed early, as `round close` does
        from bot.domain.rounds import close_round
        from models import Round

        close_round(session, session.get(Round, round_id), clock())
    clock.current = _at(2026, 11, 27, 8, 0)
    received = ann.receive()
    assert not any(text.startswith("Vote now!") for text in received)
    assert any("Park" in text for text in received)
