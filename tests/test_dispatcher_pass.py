"""One dispatcher pass: its statements and connection, and the check just before each send."""

from sqlalchemy import event

from bot.domain.residents import mark_unreachable
from bot.messaging.dispatcher import Dispatcher
from channels.messages import Address
from tests.fakes import CollectingChannel
from tests.outbox_helpers import outbox_row, queue


def test_a_pass_keeps_one_connection_and_takes_six_statements_for_three_messages(db, clock):
    for n in range(3):
        queue(db, clock, f"news {n}")
    statements, checkouts = [], []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            statements.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine.pool, "checkout", lambda *args: checkouts.append(1))
    channel = CollectingChannel()
    try:
        assert Dispatcher(db, {"console": channel}, clock).run_once() == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Claim (find, take) and check the first; record it and check the other two; record them.
    assert statements == ["WITH", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "UPDATE"]
    assert len(checkouts) == 1
    assert channel.texts() == ["news 0", "news 1", "news 2"]


def test_an_address_dead_in_one_community_still_hears_from_another(
    db, clock, community, member, make_community
):
    other = make_community(name="Eastside", slug="eastside", join_code="EASTSIDE", sms_number="+441632960002")
    with db.transaction() as session:
        mark_unreachable(session, community.id, Address("console", member.phone), "opted_out")
    dead = queue(db, clock, "to riverside", community_id=community.id, user=member.phone)
    alive = queue(db, clock, "to eastside", community_id=other.id, user=member.phone)
    channel = CollectingChannel()
    assert Dispatcher(db, {"console": channel}, clock).run_once() == 2
    assert channel.texts() == ["to eastside"]
    assert outbox_row(db, alive).status == "sent"
    row = outbox_row(db, dead)
    # Withdrawn at its check: no attempt counted.
    assert (row.status, row.error_code, row.attempts) == ("cancelled", "unreachable:opted_out", 0)


def test_after_a_withdrawn_first_row_the_next_check_takes_one_row(db, clock, community, member):
    with db.transaction() as session:
        mark_unreachable(session, community.id, Address("console", member.phone), "opted_out")
    queue(db, clock, "dead", community_id=community.id, user=member.phone)
    for n in range(3):
        queue(db, clock, f"news {n}")
    dispatcher = Dispatcher(db, {"console": CollectingChannel()}, clock)
    checked, start_many = [], dispatcher._start_many

    def counting(claims, *args):
        checked.append(len(claims))
        return start_many(claims, *args)

    dispatcher._start_many = counting
    assert dispatcher.run_once() == 4
    # Nothing was sent with the first check, so there is no pace to size the next one by.
    assert checked == [1, 2]
