"""First contact, consent and the postcode check, as a resident meets them."""

import pytest
from sqlalchemy import select

from models import Identity, InboundLog, Resident


def test_first_contact_explains_the_number_and_asks_for_consent(chat):
    reply = chat.reply("hi who is this?")
    assert "Riverside Big Local" in reply
    assert "Reply YES to join" in reply
    assert "STOP" in reply


def test_any_text_before_consent_gets_the_welcome_again(chat):
    chat.say("hello")
    assert "Reply YES to join" in chat.reply("IDEA more benches")


def test_nothing_said_before_consent_is_kept(chat, db):
    chat.say("my name is Ann and I live at 3 Mill Lane")
    with db.transaction() as session:
        log = session.scalars(select(InboundLog)).one()
        resident = session.scalars(select(Resident)).one()
    assert log.body is None and log.raw is None
    assert resident.status == "pending" and resident.consent_at is None


def test_yes_joins_and_shows_the_menu(chat, db, clock):
    chat.say("hello")
    reply = chat.reply("  Yes! ")
    assert "you're in" in reply.lower()
    assert "IDEA" in reply and "BUDGET" in reply
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        identity = session.scalars(select(Identity)).one()
    assert resident.status == "active" and resident.consent_at == clock()
    assert (identity.kind, identity.value) == ("phone", "+447700900123")


def test_start_also_gives_consent(chat):
    chat.say("hello")
    assert "you're in" in chat.reply("start").lower()


def test_yes_again_says_already_in(member):
    assert "already in" in member.reply("YES")


def test_welcome_offers_buttons_for_channels_that_have_them(chat):
    chat.say("hello")
    payloads = [c.payload for c in chat.channel.sent[-1].choices]
    assert payloads == ["YES", "STOP"]


@pytest.fixture
def applicant(make_community, new_chat):
    """Someone who said YES to a community that checks postcodes, and was asked for theirs."""
    make_community(
        slug="millfield",
        join_code="MILL",
        sms_number="+441632960002",
        name="Millfield",
        verification="postcode",
        postcode_areas=["E1", "E2 7"],
    )
    chat = new_chat("millfield")
    chat.say("hello")
    assert "postcode" in chat.reply("YES")
    return chat


def test_postcode_in_the_area_joins_and_keeps_only_the_district(applicant, db):
    assert "you're in" in applicant.reply("e1 6an").lower()
    with db.transaction() as session:
        assert session.scalars(select(Resident)).one().postcode_district == "E1"


def test_postcode_sector_match(applicant):
    assert "you're in" in applicant.reply("E2 7QX").lower()


def test_postcode_outside_the_area_is_refused_politely_and_can_be_retried(applicant):
    reply = applicant.reply("SW1A 1AA")
    assert reply.startswith("Sorry") and "E1, E2 7" in reply
    assert "IDEA" not in applicant.reply("IDEA a park")  # still not a member
    assert "you're in" in applicant.reply("E1 6AN").lower()


def test_outward_code_of_a_sector_area_needs_the_full_postcode(applicant):
    assert "full postcode" in applicant.reply("E2")


def test_something_that_is_not_a_postcode_gets_an_example(applicant):
    assert "like E1 6AN" in applicant.reply("near the church")


def test_help_while_verifying_repeats_the_question(applicant):
    assert "postcode" in applicant.reply("HELP")


def test_stop_while_verifying_is_respected(applicant):
    assert "won't get any more" in applicant.reply("STOP")
    assert applicant.say("E1 6AN") == []
    assert "postcode" in applicant.reply("START")
    assert "you're in" in applicant.reply("E1 6AN").lower()


def test_two_communities_keep_their_residents_apart(make_community, community, new_chat, db):
    make_community(slug="other", join_code="OTHER", sms_number="+441632960009", name="Other Place")
    here, there = new_chat("riverside", "+447700900777"), new_chat("other", "+447700900777")
    here.say("hi")
    here.say("YES")
    assert "Other Place" in there.reply("hi")  # same phone, new to this community
    with db.transaction() as session:
        assert len(session.scalars(select(Resident)).all()) == 2
