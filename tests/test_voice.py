"""The phone-in line (Twilio Voice), end to end: signed webhooks in, TwiML out, the call's state
kept by CallSid between keypresses, and the caller one resident with the same phone on SMS."""

import pytest
from sqlalchemy import func, select

from bot.domain.communities import by_slug
from bot.domain.digest import figures, parse_week
from bot.domain.moderation import type_up
from bot.domain.overview import overview
from models import Ballot, Call, Idea, Identity, InboundLog, OutboxMessage, Resident, Round
from tests.conftest import park_round
from tests.dashboard_helpers import make_organiser, post, sign_in
from tests.twilio_helpers import NUMBER, PUBLIC, Caller, Phone, signed, twilio_config

HOME = "+447700900123"
OTHER = "+447700900456"
VOICE = "/webhooks/twilio/voice"


@pytest.fixture
def voice_app(app, fake_twilio):
    app.config.update(twilio_config(fake_twilio))
    return app


def count(db, model, *where):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _open_round(cp, phone, method="approval"):
    """Through an SMS member, two ideas at £1k each, round 1 "Park" of both, open."""
    assert "Reply YES to join" in phone.text("hi")[0]
    assert "you're in" in phone.text("YES")[0]
    park_round(cp, "riverside", phone.text, method)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    phone.receive()


def _three_options(cp, phone, method, *extra):
    """Through an SMS member, three ideas at £1k each; round 1 "Park" of them, open."""
    phone.text("hi")
    phone.text("YES")
    for idea in ("IDEA benches", "IDEA a mural", "IDEA a pond"):
        phone.text(idea)
        phone.text("£1k")
    for number in ("1", "2", "3"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    times = ("--opens", "2026-11-26 09:00", "--closes", "2026-11-30 18:00")
    create = ("round", "create", "--community", "riverside", "--title", "Park", "--ideas", "1,2,3")
    result = cp(*create, "--method", method, *extra, *times)
    assert result.exit_code == 0, result.output
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0


def _joined(caller):
    """A new caller, in English alone: consent, then the menu."""
    said = caller.call()
    assert any("To join, press 1" in s for s in said)
    said = caller.press("1")
    assert said[0] == "Thank you, you have joined."
    return said


FORGERIES = {
    "no signature": lambda params, path: {},
    "a made-up one": lambda params, path: {"X-Twilio-Signature": "forged"},
    "signed for the SMS webhook": lambda params, path: signed(params, PUBLIC + "/webhooks/twilio/sms"),
    # the page number is in the signed URL: a keypress cannot be moved to another page
    "signed for another page": lambda params, path: signed(params, PUBLIC + VOICE + "?page=9"),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_call_is_refused_and_nothing_stored(voice_app, community, db, forge):
    caller = Caller(voice_app)
    for path in (VOICE, VOICE + "?page=1", VOICE + "/record?page=1", VOICE + "/status"):
        params = caller.params(Digits="1")
        response = caller.client.post(path, data=params, headers=forge(params, path))
        assert response.status_code == 403
    assert count(db, Call) == 0 and count(db, Resident) == 0 and count(db, InboundLog) == 0


def test_a_call_to_a_number_of_no_community_is_hung_up_and_not_stored(voice_app, community, db):
    caller = Caller(voice_app)
    params = dict(caller.params("ringing"), To="+441632960999")
    caller.read(caller.post(VOICE, params))
    assert caller.hung_up and caller.said == []
    assert count(db, Call) == 0 and count(db, Resident) == 0


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", "Restricted"])
def test_a_withheld_number_is_told_why_it_cannot_take_part(voice_app, community, db, withheld):
    said = Caller(voice_app, number=withheld).call()
    assert "withheld number" in said[0]
    assert count(db, Resident) == 0


def test_a_new_caller_joins_by_keypad_and_hears_the_budget(voice_app, community, db):
    caller = Caller(voice_app)
    said = caller.call()  # one language offered: no language question
    assert said[0].startswith("Welcome to Riverside Big Local")
    assert caller.languages == {"en-GB"}
    assert caller.twiml.find("Gather").get("numDigits") == "1"
    said = caller.press("1")
    assert said[:2] == ["Thank you, you have joined.", "To hear the budget and what has been spent, press 1."]
    assert not any("To vote" in s for s in said)  # no round open
    said = caller.press("1")
    assert said[0].startswith("The Riverside Big Local budget is £1,150,000.")
    assert "Still to decide: £1,150,000." in said[0]
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        assert resident.status == "active" and resident.consent_at is not None
        identity = session.scalars(select(Identity)).one()
        assert (identity.kind, identity.value, identity.last_channel) == ("phone", HOME, "voice")
        assert session.scalars(select(InboundLog.channel)).all() == ["voice"]
    assert count(db, OutboxMessage) == 0  # a call is answered on the call: no texts


def test_a_caller_votes_by_keypad_in_welsh_and_it_counts_with_sms_and_telegram_ballots(
    voice_app, fake_twilio, tg_user, community, db, cp
):
    assert cp("community", "languages", "--community", "riverside", "en", "cy", "pl").exit_code == 0
    sms = Phone(voice_app, fake_twilio, OTHER)
    _open_round(cp, sms)
    assert "your vote is in" in sms.text("VOTE 1")[0]
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    assert any("your vote is in" in t for t in tg_user.send("VOTE 2"))

    caller = Caller(voice_app)
    said = caller.call()
    assert said == ["For English, press 1.", "Am Gymraeg, pwyswch 2.", "Aby słuchać po polsku, naciśnij 3."]
    assert [s.get("language") for s in caller.twiml.find("Gather").iter("Say")] == ["en-GB", "cy-GB", "pl-PL"]
    said = caller.press("2")
    assert said[0].startswith("Croeso i Riverside Big Local.") and caller.languages == {"cy-GB"}
    said = caller.press("1")
    assert said[0] == "Diolch, rydych chi wedi ymuno."
    assert "I bleidleisio, pwyswch 3." in said
    said = caller.press("2")  # the options
    assert "Opsiwn 1: benches, £1,000." in said and "Opsiwn 2: a mural, £1,000." in said
    said = caller.press("3")
    assert caller.twiml.find("Gather").get("finishOnKey") == "#"
    assert said[-1].startswith("Rhowch rif opsiwn, yna pwyswch hash.")
    assert caller.press("1")[0] == "Opsiwn 1, benches, wedi'i ddewis."
    assert caller.press("2")[0] == "Opsiwn 2, a mural, wedi'i ddewis."
    said = caller.press("")  # hash alone: finished
    assert said[0] == "Eich dewis: opsiwn 1, benches; opsiwn 2, a mural."
    assert said[1].startswith("I gadarnhau eich pleidlais, pwyswch 1.")
    assert count(db, Ballot) == 2  # nothing counts before the caller confirms
    said = caller.press("1")
    assert said[0].startswith("Diolch, mae eich pleidlais wedi'i chofnodi.")
    with db.transaction() as session:
        ballots = {b.channel: b.choices for b in session.scalars(select(Ballot))}
        assert ballots == {"sms": [1], "telegram": [2], "voice": [1, 2]}
        caller_language = select(Resident.language).join(Identity).where(Identity.value == HOME)
        assert session.scalar(caller_language) == "cy"  # chosen on the call, kept for what we send
    # what we start for the caller goes by SMS, in Welsh, to the phone they called from
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    with db.transaction() as session:
        assert session.scalars(select(Round.outcome)).one()["tallies"] == {"1": 2, "2": 2}
    (result,) = Phone(voice_app, fake_twilio, HOME).receive()
    assert fake_twilio.sent[-1].form["To"] == HOME and fake_twilio.sent[-1].form["From"] == NUMBER
    assert result.startswith("Canlyniadau Park.")  # in Welsh, as chosen on the call


def test_the_same_phone_voting_again_by_sms_replaces_the_call_ballot(
    voice_app, fake_twilio, community, db, cp
):
    sms = Phone(voice_app, fake_twilio, OTHER)
    _open_round(cp, sms)
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("3")
    caller.press("1")
    caller.press("")
    caller.press("1")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[1]]
    same_phone = Phone(voice_app, fake_twilio, HOME)
    assert "your vote is in: 2 a mural" in same_phone.text("VOTE 2")[0]
    with db.transaction() as session:
        ballot = session.scalars(select(Ballot)).one()
        assert (ballot.choices, ballot.channel) == ([2], "sms")
        assert session.scalar(select(func.count()).select_from(Resident)) == 2
    # calling again: told a new vote takes the old one's place
    again = Caller(voice_app)
    again.call()
    assert "You have voted already: a new vote takes its place." in again.press("3")


def test_a_hang_up_mid_ballot_changes_nothing(voice_app, fake_twilio, community, db, cp):
    _open_round(cp, Phone(voice_app, fake_twilio, OTHER))
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("3")
    caller.press("1")
    caller.press("")  # read back, waiting for 1 to confirm
    caller.hang_up()
    assert count(db, Ballot) == 0
    with db.transaction() as session:
        call = session.get(Call, caller.sid)
        assert call.step == "ended" and call.data == {} and call.ended_at is not None
    # a late keypress on the page of a call that ended does nothing either
    caller.read(caller.post(caller.action, caller.params(Digits="1")))
    assert caller.hung_up and count(db, Ballot) == 0


def test_an_over_budget_ballot_is_refused_with_the_amount(voice_app, fake_twilio, community, db, cp):
    _three_options(cp, Phone(voice_app, fake_twilio, OTHER), "budget", "--budget", "2000")
    caller = Caller(voice_app)
    _joined(caller)
    said = caller.press("3")
    assert "Choose options that cost £2,000 or less in all." in said
    assert caller.press("1") == [
        "Option 1, benches, chosen.",
        "Your options so far cost £1,000, of £2,000.",
        "Key in the number of an option, then press hash. To finish, press hash on its own.",
    ]
    assert caller.press("2")[1] == "Your options so far cost £2,000, of £2,000."
    said = caller.press("3")
    assert said[0] == (
        "With option 3, your options would cost £3,000, over the budget of £2,000. It was not added."
    )
    said = caller.press("9")
    assert said[0] == "There is no option 9. The options are numbered 1 to 3."
    said = caller.press("")
    assert said[:2] == [
        "You chose: option 1, benches; option 2, a mural.",
        "Your options so far cost £2,000, of £2,000.",
    ]
    caller.press("1")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[1, 2]]


def test_choose_one_takes_one_option_then_asks_to_confirm(voice_app, fake_twilio, community, db, cp):
    _open_round(cp, Phone(voice_app, fake_twilio, OTHER), "choose-one")
    caller = Caller(voice_app)
    _joined(caller)
    assert "Choose one option." in caller.press("3")
    said = caller.press("2")
    assert said[:2] == ["Option 2, a mural, chosen.", "You chose: option 2, a mural."]
    assert "To start again, press 2." in said[2]
    caller.press("2")  # start again
    assert caller.press("1")[1] == "You chose: option 1, benches."
    caller.press("1")  # confirmed
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[1]]


def test_press_9_stops_all_messages_as_stop_does(voice_app, fake_twilio, community, db, cp):
    sms = Phone(voice_app, fake_twilio, OTHER)
    sms.text("hi")
    sms.text("YES")
    same_phone = Phone(voice_app, fake_twilio, HOME)
    same_phone.text("hi")
    same_phone.text("YES")
    park_round(cp, "riverside", sms.text)
    same_phone.receive()
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0  # ballots queued
    caller = Caller(voice_app)
    said = caller.call()
    assert "To stop all messages from us, press 9." in said
    said = caller.press("9")
    assert said[0].startswith("You will not get any more messages from Riverside Big Local.")
    assert caller.hung_up
    with db.transaction() as session:
        resident = session.scalar(select(Resident).join(Identity).where(Identity.value == HOME))
        assert resident.opted_out and resident.opted_out_at is not None
        queued = select(OutboxMessage.status).where(OutboxMessage.address == HOME).order_by(OutboxMessage.id)
        assert session.scalars(queued).all()[-1] == "cancelled"  # the ballot queued for them
    assert cp("round", "remind", "--community", "riverside", "1").exit_code == 0
    assert same_phone.receive() == []  # nothing more to them
    assert any(t.startswith("Vote now! Park") for t in sms.receive())  # the others still get theirs
    # calling again, they are asked whether to start messages again
    again = Caller(voice_app)
    assert any("press 1" in s for s in again.call()) and "You asked us to stop" in again.said[0]
    again.press("1")
    with db.transaction() as session:
        assert not session.scalar(select(Resident.opted_out).join(Identity).where(Identity.value == HOME))


def test_a_repeated_webhook_changes_nothing_twice(voice_app, fake_twilio, community, db, cp):
    _open_round(cp, Phone(voice_app, fake_twilio, OTHER))
    caller = Caller(voice_app)
    first = caller.call()
    assert caller.call() == first  # Twilio asking again for the first page
    assert count(db, Call) == 1 and count(db, InboundLog, InboundLog.channel == "voice") == 1
    caller.press("1")
    caller.press("3")
    page = caller.action
    caller.press("1")
    chosen = caller.said
    # the same keypress on the same page, again: the page played last comes back, nothing added
    assert caller.read(caller.post(page, caller.params(Digits="1"))) == chosen
    caller.press("")
    confirm = caller.action
    caller.press("1")
    recorded = caller.said
    assert caller.read(caller.post(confirm, caller.params(Digits="1"))) == recorded
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[1]]
        assert session.get(Call, caller.sid).page == 6


def test_a_voice_idea_goes_to_moderation_with_its_recording(voice_app, community, db):
    caller = Caller(voice_app)
    _joined(caller)
    said = caller.press("4")
    assert said[0].startswith("After the tone, say your idea")
    record = caller.twiml.find("Record")
    assert (record.get("maxLength"), record.get("finishOnKey")) == ("120", "#")
    record_page = caller.action
    said = caller.record("RE" + "a" * 32, seconds=42)
    assert said[0] == "Thank you. Your idea, number 1, will be heard by our organisers."
    with db.transaction() as session:
        idea = session.scalars(select(Idea)).one()
        assert (idea.recording_sid, idea.recording_seconds, idea.status) == ("RE" + "a" * 32, 42, "submitted")
    # Twilio posting the recording again: the page played last comes back, and no second idea
    again = caller.params(RecordingSid="RE" + "a" * 32, RecordingDuration="42")
    assert caller.read(caller.post(record_page, again)) == said
    assert count(db, Idea) == 1


def test_a_voice_idea_cannot_go_on_a_ballot_until_it_is_typed_up(voice_app, community, cp, db):
    """Shortlisted as it was, "Voice message, to be typed up" went to every member's ballot,
    in English, to the public page and the .pb file."""
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.record("RE" + "c" * 32, seconds=20)
    refused = cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "£500")
    assert (
        refused.exit_code == 2 and "is a voice message: type up what the caller said first" in refused.output
    )
    with db.transaction() as session:  # as the Ideas page's "Type up" does
        type_up(session, by_slug(session, "riverside"), 1, "A bench by the bus stop")
    assert cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "£500").exit_code == 0


def test_a_voice_idea_is_heard_and_typed_up_on_the_ideas_page(voice_app, fake_twilio, community, db, clock):
    recording = "RE" + "b" * 32
    fake_twilio.recordings[recording] = b"ID3 fake mp3 of a caller"
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.record(recording, seconds=17)
    make_organiser(voice_app, clock)
    client = voice_app.test_client()
    sign_in(client)
    page = client.get("/dashboard/riverside/ideas").get_data(as_text=True)
    assert "Left as a voice message on the phone line (17 seconds)." in page
    assert '<audio controls preload="none"' in page and 'src="/dashboard/riverside/ideas/1/recording"' in page
    assert HOME not in page and recording not in page  # neither the number nor the provider's id
    heard = client.get("/dashboard/riverside/ideas/1/recording")
    assert (heard.status_code, heard.mimetype, heard.data) == (200, "audio/mpeg", b"ID3 fake mp3 of a caller")
    assert "no-store" in heard.headers["Cache-Control"]
    assert client.get("/dashboard/riverside/ideas/2/recording").status_code == 404
    ideas = "/dashboard/riverside/ideas"
    response = post(client, ideas + "/1/text", page=ideas, text="A bench by the pond")
    assert response.status_code == 302
    with db.transaction() as session:
        assert session.scalars(select(Idea.text)).all() == ["A bench by the pond"]
    del fake_twilio.recordings[recording]  # deleted in Twilio's console: nothing to play
    assert client.get(ideas + "/1/recording").status_code == 404
    # the recording is for organisers: signed out, it is not served
    signed_out = voice_app.test_client().get(ideas + "/1/recording")
    assert signed_out.status_code == 302 and "/login" in signed_out.location


def test_a_written_idea_cannot_be_typed_over(voice_app, fake_twilio, community, db, clock):
    phone = Phone(voice_app, fake_twilio, OTHER)
    phone.text("hi")
    phone.text("YES")
    phone.text("IDEA benches")
    make_organiser(voice_app, clock)
    client = voice_app.test_client()
    sign_in(client)
    page = client.get("/dashboard/riverside/ideas").get_data(as_text=True)
    assert "Type up" not in page and "<audio" not in page
    response = post(client, "/dashboard/riverside/ideas/1/text", page="/dashboard/riverside/ideas", text="x")
    assert response.status_code == 422 and "was written, not spoken" in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(Idea.text)).all() == ["benches"]


def test_erasure_forgets_the_callers_recording_and_calls(voice_app, fake_twilio, community, db):
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.record("RE" + "c" * 32)
    same_phone = Phone(voice_app, fake_twilio, HOME)
    same_phone.text("DELETE")
    same_phone.text("DELETE")
    with db.transaction() as session:
        idea = session.scalars(select(Idea)).one()
        assert (idea.author_id, idea.recording_sid, idea.recording_seconds) == (None, None, None)
        assert session.scalars(select(Call)).all() == []
        assert session.scalars(select(InboundLog.sender).where(InboundLog.channel == "voice")).all() == [None]
    # a keypress on the erased caller's call finds nothing to go on: the call ends
    caller.read(caller.post(caller.action, caller.params(Digits="1")))
    assert caller.hung_up


def _wav(seconds: float = 1.0) -> bytes:
    """A short silent WAV, which a browser can play (Twilio serves MP3; the player takes either)."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


def test_an_organiser_listens_to_a_voice_idea_and_types_it_up_in_a_browser(
    voice_app, fake_twilio, community, db, clock, page
):
    from tests.browser import screenshot
    from tests.dashboard_helpers import PASSWORD

    fake_twilio.recordings["RE" + "d" * 32] = _wav(2.0)
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.record("RE" + "d" * 32, seconds=2)
    make_organiser(voice_app, clock)
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/dashboard/riverside/ideas")
    player = page.locator("#idea-1 audio")
    # the browser fetches the recording through the dashboard and can play it: it knows its length
    duration = player.evaluate(
        "audio => new Promise((done, fail) => {"
        " audio.addEventListener('loadedmetadata', () => done(audio.duration));"
        " audio.addEventListener('error', () => fail(audio.error && audio.error.code));"
        " audio.load(); })"
    )
    assert 1.9 < duration < 2.1
    screenshot(page, "dashboard-voice-idea")
    page.get_by_label("What the caller said (its title)").fill("A bench by the pond")
    page.get_by_role("button", name="Type up").click()
    assert "Idea #1 typed up." in page.inner_text("main")
    assert "A bench by the pond" in page.locator("#idea-1 .idea-text").inner_text()


def test_where_postcodes_are_checked_a_caller_is_asked_to_text_theirs(
    voice_app, fake_twilio, make_community, db
):
    make_community(verification="postcode", postcode_areas=["E1"])
    caller = Caller(voice_app)
    caller.call()
    said = caller.press("1")
    assert said[0] == "Before you can vote or leave an idea, please text your postcode to this number."
    assert "To vote, press 3." not in said and "To leave an idea as a voice message, press 4." not in said
    assert caller.press("4")[0] == said[0]  # not until they have
    # their next text is read as the postcode, and they are in
    assert "you're in" in Phone(voice_app, fake_twilio, HOME).text("E1 6AN")[0].lower()
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        assert (resident.status, resident.postcode_district) == ("active", "E1")


def test_a_voice_message_the_caller_hung_up_on_is_kept_whichever_request_comes_first(
    voice_app, community, db
):
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.hang_up()  # Twilio reported the end of the call before it posted the recording
    recording = caller.params(RecordingSid="RE" + "e" * 32, RecordingDuration="9")
    record_page = caller.action
    caller.read(caller.post(record_page, recording))
    assert caller.hung_up
    with db.transaction() as session:
        assert session.scalars(select(Idea.recording_sid)).all() == ["RE" + "e" * 32]
        call = session.get(Call, caller.sid)
        assert call.ended_at is not None and call.step == "ended"
    caller.read(caller.post(record_page, recording))
    assert count(db, Idea) == 1  # and a repeat of it adds nothing


def test_calls_appear_in_the_digest_and_callers_in_the_member_counts(voice_app, community, db, clock):
    _joined(Caller(voice_app))
    Caller(voice_app, number=OTHER).call()  # called, did not join
    with db.transaction() as session:
        place = by_slug(session, "riverside")
        week = parse_week("2026-W48", place.timezone)
        participation = figures(session, place, week, clock())["participation"]
        assert participation["messages_in_voice"]["this_week"] == 2
        assert "messages_out_voice" not in participation  # a phone line sends nothing
        assert overview(session, place, clock()).members_by_channel["phone line"] == 1


def test_news_of_a_voice_idea_reaches_the_caller_by_sms(voice_app, fake_twilio, community, db, cp):
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    caller.record()
    with db.transaction() as session:  # typed up first, as a voice idea must be
        type_up(session, by_slug(session, "riverside"), 1, "A bench by the bus stop")
    result = cp("ideas", "shortlist", "--community", "riverside", "1", "--cost", "£500")
    assert result.exit_code == 0, result.output
    (news,) = Phone(voice_app, fake_twilio, HOME).receive()
    assert "#1 is shortlisted" in news
    sent = fake_twilio.sent[-1].form
    assert (sent["To"], sent["From"], sent["StatusCallback"]) == (
        HOME,
        NUMBER,
        PUBLIC + "/webhooks/twilio/status",
    )
    with db.transaction() as session:
        assert session.scalars(select(OutboxMessage.channel)).all() == ["sms"]


def test_retention_forgets_calls_a_day_after_they_were_last_heard_from(voice_app, community, db, clock):
    from bot.messaging.retention import erase_old_messages

    _joined(Caller(voice_app))
    clock.advance(hours=23)
    ongoing = Caller(voice_app, number=OTHER)
    ongoing.call()
    clock.advance(hours=2)
    with db.transaction() as session:
        assert erase_old_messages(session, clock(), 365)["calls"] == 1
    with db.transaction() as session:
        assert session.scalars(select(Call.call_sid)).all() == [ongoing.sid]
    assert count(db, InboundLog, InboundLog.channel == "voice") == 2  # still counted


def test_silence_at_the_tone_takes_the_caller_back_to_the_menu(voice_app, community, db):
    caller = Caller(voice_app)
    _joined(caller)
    caller.press("4")
    redirect = caller.twiml.find("Redirect")
    assert redirect.text == caller.action  # nothing recorded: the same page is asked for again
    said = caller.read(caller.post(redirect.text, caller.params()))
    assert said[:2] == [
        "We did not hear a message, so nothing was saved.",
        "To hear the budget and what has been spent, press 1.",
    ]
    assert count(db, Idea) == 0


def test_a_caller_who_presses_nothing_hears_the_page_again_then_goodbye(voice_app, community):
    caller = Caller(voice_app)
    caller.call()
    verbs = [verb.tag for verb in caller.twiml]
    assert verbs == ["Gather", "Gather", "Say", "Hangup"]
    first, second = caller.twiml.findall("Gather")
    assert [s.text for s in first] == [s.text for s in second] and first.get("action") == second.get("action")
    assert caller.twiml.find("Say").text == "We did not hear a choice. Goodbye."


def test_an_approval_round_takes_at_most_its_number_and_a_second_press_takes_one_off(
    voice_app, fake_twilio, community, db, cp
):
    _three_options(cp, Phone(voice_app, fake_twilio, OTHER), "approval", "--max-choices", "2")
    caller = Caller(voice_app)
    _joined(caller)
    assert "You may choose up to 2 options." in caller.press("3")
    caller.press("1")
    caller.press("3")
    assert caller.press("2")[0] == "You may choose up to 2 options. To take one off, key in its number again."
    assert caller.press("1")[0] == "Option 1, benches, taken off."
    assert caller.press("2")[0] == "Option 2, a mural, chosen."
    assert caller.press("*")[0] == "Sorry, that is not one of the choices."
    assert caller.press("")[0] == "You chose: option 3, a pond; option 2, a mural."
    caller.press("1")
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).all() == [[3, 2]]
