"""Receipts: every ballot gets a short random code the voter is told (every channel, every
language; paper ballots in the import report); a changed ballot gets a new one and the old one is
kept as replaced; nothing of the code comes from the resident."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bot.domain.receipts import ALPHABET, Found, look_up, new_receipt, read_receipt
from models import Ballot, ReplacedReceipt, Round
from models.migrate import upgrade
from tests.conftest import park_round
from tests.test_round_numbers import _empty_database

CODE = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\b")


def receipt_in(reply: str) -> str:
    (code,) = CODE.findall(reply)
    return code


@pytest.fixture
def voting(member, cp):
    """Round 1, "Park" (benches, a mural), open; `member` has joined."""
    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    return member


def _ballots(db) -> list[tuple]:
    with db.transaction() as session:
        return session.execute(select(Ballot.receipt, Ballot.choices).order_by(Ballot.id)).all()


def _replaced(db) -> list[str]:
    with db.transaction() as session:
        return session.scalars(select(ReplacedReceipt.receipt).order_by(ReplacedReceipt.id)).all()


def test_a_receipt_is_40_random_bits_read_aloud_in_two_groups():
    codes = {new_receipt() for _ in range(2000)}
    assert len(codes) == 2000  # 40 bits: no repeat in a few thousand
    assert all(CODE.fullmatch(code) for code in codes)
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)  # 8 x 5 bits, no look-alikes
    # Every symbol turns up in every place: nothing fixed, nothing from the resident.
    for place in (0, 1, 2, 3, 5, 6, 7, 8):
        assert {code[place] for code in codes} == set(ALPHABET)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("K7QM-2XPD", "K7QM-2XPD"),
        (" k7qm 2xpd ", "K7QM-2XPD"),
        ("K7QM2XPD", "K7QM-2XPD"),
        ("K7QM-2XPO", "K7QM-2XP0"),  # O is read as 0, I and L as 1
        ("KIQM-2XPL", "K1QM-2XP1"),
        ("K7QM-2XP", None),
        ("K7QM-2XPDD", None),
        ("K7QU-2XPD", None),  # no code has a U
        ("", None),
    ],
)
def test_a_typed_receipt_is_read_as_people_type_it(typed, stored):
    assert read_receipt(typed) == stored


def test_the_vote_confirmation_carries_the_receipt_kept_on_the_ballot(voting, db):
    code = receipt_in(voting.reply("1 2"))
    assert _ballots(db) == [(code, [1, 2])]


def test_a_changed_ballot_gets_a_new_receipt_and_the_old_one_is_kept_as_replaced(voting, db):
    first = receipt_in(voting.reply("1 2"))
    second = receipt_in(voting.reply("2"))
    third = receipt_in(voting.reply("1"))
    assert len({first, second, third}) == 3
    assert _ballots(db) == [(third, [1])]
    assert _replaced(db) == [first, second]
    with db.transaction() as session:
        round_ = session.scalars(select(Round)).one()
        assert look_up(session, round_, third.lower()).found == Found.COUNTED
        assert look_up(session, round_, third).choices == (1,)
        assert look_up(session, round_, first).found == Found.REPLACED
        assert look_up(session, round_, "AAAA-AAAA").found == Found.UNKNOWN
        assert look_up(session, round_, "not a code").found == Found.UNKNOWN


def test_two_residents_get_different_receipts(voting, new_chat, db):
    other = new_chat()
    other.say("hi")
    other.say("YES")
    assert receipt_in(voting.reply("1")) != receipt_in(other.reply("1"))


def test_erasing_a_vote_in_an_open_round_takes_its_replaced_receipts_too(voting, db):
    voting.reply("1 2")
    voting.reply("2")
    voting.say("DELETE")
    voting.say("DELETE")
    assert _ballots(db) == [] and _replaced(db) == []


@pytest.mark.parametrize("language, switch", [("cy", "CYMRAEG"), ("pl", "POLSKI")])
def test_the_receipt_comes_in_the_resident_s_language(chat, cp, language, switch):
    chat.say("hello")
    chat.say("YES")
    park_round(cp, "riverside", chat.say)
    with_languages = cp("community", "languages", "--community", "riverside", "en", "cy", "pl")
    assert with_languages.exit_code == 0, with_languages.output
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    chat.say(switch)
    chat.inbox()
    reply = chat.reply("1")
    assert "your vote is in" not in reply
    assert receipt_in(reply)


def test_telegram_confirmation_carries_the_receipt(cp, tg_user, community, db):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    park_round(cp, "riverside", tg_user.send, "choose-one")
    tg_user.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    tg_user.receive()
    code = receipt_in(tg_user.press("VOTE 2 @1")[0])
    assert _ballots(db) == [(code, [2])]


def test_paper_ballots_get_their_receipts_in_the_import_report(voting, cp, db, tmp_path):
    added = cp(
        "round", "ballots", "add", "--community", "riverside", "1", "--paper-id", "P-1", "--choices", "2"
    )
    assert added.exit_code == 0, added.output
    one = receipt_in(added.output)
    path = tmp_path / "papers.csv"
    path.write_text('paper_id,choices\nP-2,"1,2"\nP-3,1\n')
    imported = cp("round", "ballots", "import", "--community", "riverside", "1", str(path))
    assert imported.exit_code == 0, imported.output
    assert "; receipt " in added.output
    lines = imported.output.splitlines()
    assert lines[0].startswith("added P-2 (1, 2), receipt ") and lines[1].startswith(
        "added P-3 (1), receipt "
    )
    two, three = receipt_in(lines[0]), receipt_in(lines[1])
    assert sorted(_ballots(db)) == sorted([(one, [2]), (two, [1, 2]), (three, [1])])


def test_the_migration_gives_existing_ballots_receipts(backend, tmp_path):
    engine, cleanup = _empty_database(backend, tmp_path)
    when = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        upgrade(engine, "0017")
        with engine.begin() as connection:  # the tables as they were at 0017
            connection.execute(
                text(
                    "INSERT INTO community (slug, name, join_code, timezone, languages, currency, "
                    "budget_total_pence, verification, postcode_areas, digest_recipients, "
                    "digest_weekday, digest_time, created_at, public_page) VALUES ('a', 'a', 'a', "
                    "'Europe/London', '[\"en\"]', 'GBP', 100, 'none', '[]', '[]', 0, '09:00', :at, true)"
                ),
                {"at": when},
            )
            connection.execute(
                text(
                    "INSERT INTO round (community_id, number, title, method, rule, budget_pence, status, "
                    "opens_at, closes_at, imported, created_at) VALUES (1, 1, 'Old', 'approval', "
                    "'greedy', 100, 'closed', :at, :at, false, :at)"
                ),
                {"at": when},
            )
            for paper in ("P-1", "P-2", "P-3"):
                connection.execute(
                    text(
                        "INSERT INTO ballot (round_id, choices, channel, paper_id, cast_at, changed_at) "
                        "VALUES (1, '[1]', 'paper', :paper, :at, :at)"
                    ),
                    {"paper": paper, "at": when},
                )
        upgrade(engine)
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT receipt FROM ballot")).scalars().all()
        assert len(set(codes)) == 3 and all(CODE.fullmatch(code) for code in codes)
    finally:
        engine.dispose()
        if cleanup:
            admin, schema = cleanup
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
def test_sms_and_whatsapp_confirmations_carry_the_receipt(app, fake_twilio, clock, community, db, cp, kind):
    """Through the real Twilio webhooks and client, as a phone sees it."""
    from tests.twilio_helpers import Phone, WhatsApp, twilio_config

    app.config.update(twilio_config(fake_twilio))
    fake_twilio.clock = clock
    phone = (WhatsApp if kind == "whatsapp" else Phone)(app, fake_twilio)
    phone.text("Hello?")
    phone.text("YES")
    park_round(cp, "riverside", phone.text)
    phone.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    phone.receive()
    code = receipt_in(phone.text("VOTE 2")[0])
    assert _ballots(db) == [(code, [2])]
