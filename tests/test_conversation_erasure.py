"""DELETE: a resident's data is erased after they confirm; their ideas stay, anonymous."""

from sqlalchemy import select

from models import Conversation, Idea, Identity, InboundLog, OutboxMessage, Resident


def test_delete_asks_first_and_no_keeps_everything(member, db):
    assert "Reply DELETE again" in member.reply("DELETE")
    assert "nothing was deleted" in member.reply("no")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().value == "+447700900123"


def test_anything_but_delete_cancels(member):
    member.say("delete")
    assert "nothing was deleted" in member.reply("what?")


def test_confirmed_delete_erases_identity_and_messages_but_keeps_ideas(member, db):
    member.say("IDEA more benches on the green")
    member.say("500")
    member.say("DELETE")
    assert "your data is erased" in member.reply("delete")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).all() == []
        assert session.scalars(select(Conversation)).all() == []
        resident = session.scalars(select(Resident)).one()
        assert resident.status == "erased" and resident.opted_out
        logs = session.scalars(select(InboundLog)).all()
        assert len(logs) == 6  # counts stay
        assert all(log.body is None and log.sender is None and log.raw is None for log in logs)
        outbox = session.scalars(select(OutboxMessage)).all()
        assert all(row.body is None and row.address is None for row in outbox)
        assert all(row.status == "sent" for row in outbox)  # the confirmation went out first
        idea = session.scalars(select(Idea)).one()
        assert idea.author_id is None and idea.text == "more benches on the green"


def test_the_confirmation_is_the_last_message(member):
    member.say("DELETE")
    member.say("DELETE")
    # Writing again is a first contact: a new welcome, nothing remembered.
    assert "Reply YES to join" in member.reply("hello")
    member.say("YES")
    assert "haven't given any ideas" in member.reply("MY IDEAS")


def test_delete_before_joining_erases_at_once(chat, db):
    chat.say("hello")
    assert "erased" in chat.reply("DELETE")
    with db.transaction() as session:
        assert session.scalars(select(Identity)).all() == []


def test_another_command_drops_the_delete_question_and_is_answered(member, db):
    member.say("DELETE")
    reply = member.reply("BUDGET")
    assert "Still to decide" in reply and "nothing was deleted" not in reply
    assert "Reply DELETE again" in member.reply("DELETE")  # asked afresh, not erased
    with db.transaction() as session:
        assert session.scalars(select(Identity)).one().value == "+447700900123"


def test_erasing_during_an_open_round_withdraws_the_vote_so_nobody_votes_twice(member, cp, db, new_chat):
    """Erase, join again, vote again: it counted both ballots (any number of times)."""
    from models import Ballot
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    assert "your vote is in" in member.reply("1 2")
    member.say("DELETE")
    member.say("DELETE")
    again = new_chat(phone=member.phone)
    again.say("hi")
    again.say("YES")
    assert "your vote is in" in again.reply("2")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[2]]


def test_a_vote_at_the_delete_question_is_counted_and_nothing_erased(member, cp, db):
    from models import Ballot
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    member.say("DELETE")
    assert "your vote is in: 2 a mural" in member.reply("2")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [2]
        assert session.scalars(select(Identity)).one().value == "+447700900123"
