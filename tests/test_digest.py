"""The weekly digest: the council's figures, emailed once per ISO week through a real SMTP server."""

import email
import email.policy
import email.utils
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bot.domain import ledger
from models import Community, Digest
from scheduler import jobs, runtime
from scheduler.service import build
from tests.conftest import Chat, Inbox

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Europe/London is UTC in winter


@pytest.fixture
def week_of_activity(app, db, clock, community, cp):
    """Riverside's week 2026-W48 (23-29 Nov), built message by message; the clock then sits at
    Monday 30 Nov 09:00."""
    clock.current = datetime(2026, 11, 17, 12, tzinfo=UTC)  # the week before: one joins
    early = Chat(db, clock, "riverside", "+447700900301")
    early.say("hi")
    early.say("YES")
    clock.current = datetime(2026, 11, 24, 12, tzinfo=UTC)
    ann, bob = (Chat(db, clock, "riverside", f"+44770090030{n}") for n in (2, 3))
    for person in (ann, bob):
        person.say("hi")
        person.say("YES")
    ann.say("IDEA more benches on the green")
    ann.say("£2k")
    bob.say("IDEA a mural")
    bob.say("£1k")
    bob.say("STOP")
    cp("ideas", "shortlist", "--community", "riverside", "1")
    cp("ideas", "shortlist", "--community", "riverside", "2")
    cp(
        "round",
        "create",
        "--community",
        "riverside",
        "--title",
        "Green",
        "--method",
        "approval",
        "--ideas",
        "1,2",
        "--opens",
        "2026-11-25 09:00",
        "--closes",
        "2026-11-27 18:00",
    )
    clock.current = datetime(2026, 11, 25, 9, tzinfo=UTC)
    cp("round", "open", "--community", "riverside", "1")
    ann.say("1")
    early.say("1 2")
    clock.current = datetime(2026, 11, 27, 18, tzinfo=UTC)
    cp("round", "close", "--community", "riverside", "1")
    with db.transaction() as session:
        community_ = session.scalars(select(Community)).one()
        ledger.spend(
            session,
            community_,
            description="Benches",
            amount_pence=150_000,
            spent_on=datetime(2026, 11, 28).date(),
            now=datetime(2026, 11, 28, 10, tzinfo=UTC),  # recorded once paid
        )
        ledger.post_update(session, community_, "Benches ordered.", clock())
    cp(
        "community",
        "digest",
        "--community",
        "riverside",
        "--to",
        "council@example.gov.uk",
        "--to",
        "clerk@example.gov.uk",
    )
    clock.current = MONDAY_9AM
    return community


def test_preview_shows_the_weeks_figures_without_names_or_numbers(cp, week_of_activity):
    result = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    digest = result.output
    assert digest.startswith("Riverside Big Local: weekly digest, week 2026-W48 (from Monday 2026-11-23)")
    assert "New residents: 2 (1, +1)" in digest
    assert "Opted out: 1 (0, +1)" in digest
    assert "New ideas: 2 (0, +2)" in digest
    assert "Green: closed, 2 ballots, greedy; funded more benches on the green, a mural (£3,000)" in digest
    assert "spent this week £1,500" in digest and "Latest update: Benches ordered." in digest
    assert "+4477" not in digest


def test_the_digest_is_emailed_as_text_html_and_csv(app, db, week_of_activity, smtp, cp):
    result = cp("digest", "send", "--community", "riverside")
    assert result.exit_code == 0 and "Digest 2026-W48 sent." in result.output
    ((recipients, message),) = smtp.messages
    assert recipients == ["council@example.gov.uk", "clerk@example.gov.uk"]
    assert message["Subject"] == "Riverside Big Local: weekly digest 2026-W48"
    assert message["From"] == "Common Purse <digest@purse.example.org>"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "New ideas: 2 (0, +2)" in plain
    assert "<td>New ideas</td><td align='right'>2</td>" in html
    # The figures, then money over time (turnout by area needs postcodes, which Riverside does not check).
    attachment, money = message.iter_attachments()
    assert attachment.get_filename() == "riverside-2026-W48.csv"
    assert money.get_filename() == "riverside-2026-W48-money.csv"
    rows = dict(line.split(",", 1) for line in attachment.get_content().strip().splitlines()[1:])
    assert rows["new_residents"] == "2,1" and rows["spent_this_week_pence"] == "150000,"
    assert "already sent" in cp("digest", "send", "--community", "riverside").output
    assert len(smtp.messages) == 1


def test_the_scheduled_digest_goes_once_even_with_a_manual_send(app, db, week_of_activity, smtp, cp):
    scheduler = build(app, blocking=False)
    runtime.bind(app, scheduler, "test")
    jobs.weekly_digest(week_of_activity.id)
    jobs.weekly_digest(week_of_activity.id)
    cp("digest", "send", "--community", "riverside", "--week", "2026-W48")
    assert len(smtp.messages) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 1


def test_a_digest_missed_while_down_is_sent_when_back(app, db, week_of_activity, smtp, clock):
    scheduler = build(app, blocking=False)
    runtime.bind(app, scheduler, "test")
    clock.current = MONDAY_9AM - timedelta(minutes=1)
    jobs.send_due_digests()
    assert smtp.messages == []  # not due yet
    clock.current = MONDAY_9AM + timedelta(days=2)  # the service was down on Monday
    jobs.send_due_digests()
    jobs.send_due_digests()
    assert len(smtp.messages) == 1


def test_an_smtp_failure_is_retried_later(app, db, week_of_activity, cp, smtp):
    app.config["SMTP_PORT"] = 9  # nothing listens there
    result = cp("digest", "send", "--community", "riverside")
    assert result.exit_code == 1 and "could not be sent" in result.output
    with db.transaction() as session:
        row = session.scalars(select(Digest)).one()
    assert row.sent_at is None and row.error == "the mail server could not be reached"
    app.config["SMTP_PORT"] = smtp.port
    assert "Digest 2026-W48 sent." in cp("digest", "send", "--community", "riverside").output
    assert len(smtp.messages) == 1


def test_no_recipients_no_digest(cp, community):
    result = cp("digest", "send", "--community", "riverside")
    assert result.exit_code == 2 and "no digest recipients" in result.output


def test_digest_settings_and_bad_weeks(cp, community):
    result = cp(
        "community",
        "digest",
        "--community",
        "riverside",
        "--to",
        "a@b.org",
        "--day",
        "friday",
        "--time",
        "17:30",
    )
    assert "a@b.org, Fridays at 17:30" in result.output
    assert cp("community", "digest", "--community", "riverside", "--time", "25:00").exit_code == 2
    assert cp("community", "digest", "--community", "riverside", "--to", "nope").exit_code == 2
    # An address pasted with spaces around it is taken as the council's digest takes it (it
    # was refused here alone), and one with a space inside is not.
    pasted = cp("community", "digest", "--community", "riverside", "--to", " Clerk@Council.gov.uk ")
    assert pasted.exit_code == 0 and "clerk@council.gov.uk, Fridays at 17:30" in pasted.output
    spaced = cp("community", "digest", "--community", "riverside", "--to", "clerk@council .gov.uk")
    assert spaced.exit_code == 2 and "is not an email address" in spaced.output
    bad = cp("digest", "preview", "--community", "riverside", "--week", "2026-W60")
    assert bad.exit_code == 2 and "not a week that exists" in bad.output


def test_starttls_and_a_login_are_used_when_configured(app, db, week_of_activity, cp, monkeypatch):
    import ssl

    import trustme
    from aiosmtpd.smtp import AuthResult

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"council-bot", b"s3cret"))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        make_context = ssl.create_default_context

        def trusting_test_ca(*args, **kwargs):  # our client trusts the test CA, as it would a real one
            context = make_context(*args, **kwargs)
            ca.configure_trust(context)
            return context

        monkeypatch.setattr("bot.messaging.mailer.ssl.create_default_context", trusting_test_ca)
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_SECURITY="starttls",
            SMTP_USERNAME="council-bot",
            SMTP_PASSWORD="s3cret",
        )
        result = cp("digest", "send", "--community", "riverside")
    finally:
        controller.stop()
    assert "Digest 2026-W48 sent." in result.output, result.output
    assert logins == [(b"council-bot", b"s3cret")] and len(inbox.messages) == 1


def test_the_email_has_a_date_and_a_message_id(week_of_activity, smtp, cp):
    cp("digest", "send", "--community", "riverside")
    ((_, message),) = smtp.messages
    assert email.utils.parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@purse.example.org>")


def test_a_week_in_progress_is_previewed_as_so_far_and_never_sent(week_of_activity, smtp, cp, db):
    preview = cp("digest", "preview", "--community", "riverside", "--week", "2026-W49")
    assert preview.exit_code == 0 and "so far: the week has not ended" in preview.output
    sent = cp("digest", "send", "--community", "riverside", "--week", "2026-W49")
    assert sent.exit_code == 2 and "has not ended yet" in sent.output
    assert smtp.messages == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 0  # nothing claimed


def test_without_smtp_the_log_says_why(app, week_of_activity, caplog):
    app.config["SMTP_HOST"] = None
    jobs_app = build(app, blocking=False)
    runtime.bind(app, jobs_app, "test")
    jobs.send_due_digests()
    assert "no SMTP server is configured: set COMMONPURSE_SMTP_HOST" in caplog.text


def test_statuses_read_as_words_and_the_books_exceptions_are_shown(week_of_activity, cp, db, clock):
    clock.current = datetime(2026, 11, 28, 12, tzinfo=UTC)
    ann = Chat(db, clock, "riverside", "+447700900302")
    for idea in ("IDEA lights on the path", "IDEA a bike rack"):
        ann.say(idea)
        ann.say("£500")
    for number in ("3", "4"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    assert (
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Lights",
            "--method",
            "approval",
            "--ideas",
            "3,4",
            "--opens",
            "2026-12-01 09:00",
            "--closes",
            "2026-12-05 18:00",
        ).exit_code
        == 0
    )
    spent = cp(
        "budget",
        "spend",
        "--community",
        "riverside",
        "--amount",
        "£2m",
        "--description",
        "Land",
        "--over-allocation",
    )
    assert spent.exit_code == 0, spent.output
    assert (
        cp("budget", "void", "--community", "riverside", "--spend", "1", "--reason", "typed twice").exit_code
        == 0
    )
    clock.current = MONDAY_9AM
    digest = cp("digest", "preview", "--community", "riverside").output
    assert "By status: funded 2, in round 2" in digest and "in_round" not in digest
    assert "Recorded beyond its allocation or the budget: spending 2, Land, £2,000,000" in digest
    assert "Correction 1: spending 1 voided (typed twice)" in digest


def test_messages_through_the_console_are_their_own_channel_not_sms(cp, week_of_activity):
    """Issue 24: messages through `commonpurse chat` (every resident here) read "SMS received 0"."""
    digest = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48").output
    assert "SMS received: 0 (0, same)" in digest
    # The week's messages: ann's 5, bob's 5 and early's vote; early's 2 the week before
    assert "Console messages (commonpurse chat) received: 11 (2, +9)" in digest
    assert "Console messages (commonpurse chat) sent:" in digest


def test_a_community_that_never_used_the_console_has_no_line_of_zeros_for_it(cp, community):
    digest = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48").output
    assert "SMS received: 0 (0, same)" in digest and "Telegram messages received: 0" in digest
    assert "Console" not in digest
