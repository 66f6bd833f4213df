"""A budget update to part of the community: postcode areas, languages, channels, voted or not
in a round, authors of its ideas. The count and cost are shown first; the audit trail and the
digest keep the criteria, never who matched."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.domain import ledger, rounds
from bot.domain.audit import entries
from bot.domain.ballots import cast
from bot.domain.digest import figures, week_starting
from bot.domain.residents import opt_out
from bot.domain.segments import segment
from bot.errors import InvalidInput
from bot.messaging.dispatcher import Dispatcher
from models import Community, OutboxMessage, Resident, Round
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.fakes import CollectingChannel
from tests.round_helpers import make_round

PHONES = [f"+4477009002{n:02d}" for n in range(6)]
TEXT = "The garden opens on Saturday."


@pytest.fixture
def town(db, clock, community):
    """Round 2 open: 200 in RM9 voted; 201 in RM9 and 205 in sector RM9 6 did not; 202 in RM10
    did not; 203 in RM9 stopped messages; 204, no area known, did not."""
    first = make_round(db, community, clock(), members=6)
    with db.transaction() as session:
        place = session.get_one(Community, community.id)
        rounds.cancel_round(session, session.get_one(Round, first), clock())  # its ideas go round again
        round_2 = rounds.create_round(
            session,
            place,
            title="Park again",
            method="approval",
            idea_numbers=[1, 2],
            opens_at=clock() + timedelta(hours=1),
            closes_at=clock() + timedelta(days=2),
            now=clock(),
        )
        by_phone = {r.identities[0].value: r for r in session.scalars(select(Resident))}
        for phone, area in zip(PHONES, ["RM9", "RM9", "RM10", "RM9", None, "RM9 6"], strict=True):
            by_phone[phone].postcode_district = area
        rounds.open_round(session, round_2, clock())
        cast(session, round_2, by_phone[PHONES[0]], [1], "sms", clock())
        opt_out(session, by_phone[PHONES[3]], clock(), "sms")
    return community


def _reached(db, clock, text: str = TEXT) -> set[str]:
    """Who got a message holding `text` by SMS, of what the outbox holds that is due."""
    channel = CollectingChannel("sms")
    while Dispatcher(db, {"sms": channel}, clock).run_once():
        pass
    return {m.address.user_id for m in channel.sent if text in m.text}


def test_an_update_to_those_not_voted_in_round_2_in_rm9_reaches_exactly_them(cp, db, clock, town):
    done = cp(
        "budget", "update", "--community", "riverside", "--text", TEXT, "--broadcast", "--yes",
        "--not-voted-in", "2", "--area", "RM9",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "To: not voted in round 2, area RM9." in done.output
    assert "Cost: 2 members" in done.output and "Sent to 2 members." in done.output
    assert _reached(db, clock) == {PHONES[1], PHONES[5]}
    with db.transaction() as session:
        place = session.get_one(Community, town.id)
        trail = " ".join(f"{e.subject} {e.action}" for e in entries(session, place))
        assert "not voted in round 2, area RM9" in trail
        assert not any(phone[3:] in trail for phone in PHONES)
        week = week_starting(date(2026, 11, 23), place.timezone)
        sent = figures(session, place, week, clock())["money"]["targeted_updates"]
        assert sent == [{"text": TEXT, "audience": "not voted in round 2, area RM9"}]


def test_each_criterion_and_the_cost_before_sending(db, clock, town):
    with db.transaction() as session:
        place = session.get_one(Community, town.id)

        def count(**criteria) -> int:
            return ledger.broadcast_cost(session, place, TEXT, clock(), segment(place, **criteria)).recipients

        assert count() == 5
        assert count(voted_in=2) == 1
        assert count(not_voted_in=2) == 4
        assert count(areas=["rm10"]) == 1
        assert count(areas=["RM9 6"]) == 1
        assert count(languages=["en"]) == 5
        assert count(channels=["sms"]) == 5 and count(channels=["telegram"]) == 0
        assert count(authors_in=1) == 1  # make_round's first member gave the ideas
        with pytest.raises(InvalidInput, match="not like RM9"):
            segment(place, areas=["nowhere"])
        with pytest.raises(InvalidInput, match="cy is not offered here"):
            segment(place, languages=["cy"])
        with pytest.raises(InvalidInput, match="no channel pigeon"):
            segment(place, channels=["pigeon"])


def test_refusals_are_one_line_and_exit_2(cp, town):
    for args, message in [
        (("--not-voted-in", "9"), "no round 9 in riverside"),
        (("--area", "RM"), "not like RM9"),
        (("--channel", "fax"), "no channel fax"),
    ]:
        result = cp(
            "budget", "update", "--community", "riverside", "--text", TEXT, "--broadcast", "--yes", *args
        )
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert message in result.output
    unsent = cp("budget", "update", "--community", "riverside", "--text", TEXT, "--area", "RM9")
    assert unsent.exit_code == 2 and "needs --broadcast" in unsent.output


def test_a_segment_in_quiet_hours_waits_like_any_broadcast(cp, db, clock, town):
    clock.current += timedelta(hours=12)  # 22:00
    done = cp(
        "budget",
        "update",
        "--community",
        "riverside",
        "--text",
        TEXT,
        "--broadcast",
        "--yes",
        "--voted-in",
        "2",
    )
    assert "Sent to 1 member. Quiet hours: it goes out at 8am Fri 27 Nov." in done.output
    assert _reached(db, clock) == set()
    with db.transaction() as session:
        held = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("budget-update:%"))
        )
        assert len(list(held)) == 1


def test_the_dashboard_sends_an_update_to_part_of_the_community(app, client, db, clock, town):
    make_organiser(app, clock)
    sign_in(client)
    money = "/dashboard/riverside/money"
    assert 'id="update-segment"' in client.get(money).text
    chosen = dict(text=TEXT, broadcast="yes", areas="RM9", vote="not_voted", vote_round="2")
    confirm = post(client, money + "/update", page=money, **chosen)
    assert "Only to members matching: not voted in round 2, area RM9 (2 of them)" in confirm.text
    assert 'name="vote_round" value="2"' in confirm.text
    sent = post(client, money + "/update", page=money, step="send", latest="", **chosen)
    assert sent.status_code in (302, 303)
    assert _reached(db, clock) == {PHONES[1], PHONES[5]}
    refused = post(
        client, money + "/update", page=money, text=TEXT, broadcast="yes", vote="voted", vote_round="9"
    )
    assert refused.status_code == 422 and "no round 9 in riverside" in refused.text


def test_the_api_sends_an_update_to_part_of_the_community(api, db, clock, town):
    path = "/communities/riverside/budget/updates"
    to = {"not_voted_in": 2, "areas": ["RM9"]}
    status, body = api("post", path, {"text": TEXT, "broadcast": True, "to": to})
    assert (status, body["sent"]) == (201, 2)
    assert _reached(db, clock) == {PHONES[1], PHONES[5]}
    for given, message in [
        ({"text": TEXT, "to": to}, "needs broadcast: true"),
        ({"text": TEXT, "broadcast": True, "to": {"voted": 2}}, "to has no field 'voted'"),
        ({"text": TEXT, "broadcast": True, "to": {"areas": "RM9"}}, "to.areas must be a list"),
        ({"text": TEXT, "broadcast": True, "to": {"voted_in": True}}, "to.voted_in must be a round's number"),
    ]:
        status, body = api("post", path, given)
        assert status == 422 and message in str(body), body
    assert api("post", path, {"text": TEXT, "broadcast": True, "to": {"voted_in": 9}})[0] == 404
