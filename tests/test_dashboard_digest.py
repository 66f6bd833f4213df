"""The digest page: settings saved through `community digest`'s service, any week previewed as the
council will read it, "Send now" through a real SMTP server, and the public page's switch."""

import base64
import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import Community, Digest
from tests.conftest import Chat
from tests.dashboard_helpers import csrf, make_organiser, post, sign_in

PAGE = "/dashboard/riverside/digest"
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # week 2026-W48 has just ended


@pytest.fixture
def organiser(app, clock, community, make_community):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    make_organiser(app, clock)


@pytest.fixture
def week48(db, clock, organiser, cp):
    """Two residents join and give ideas in week 2026-W48 (one idea hostile); the clock then sits
    at Monday 30 Nov 09:00."""
    clock.current = datetime(2026, 11, 24, 12, tzinfo=UTC)
    ann, bob = (Chat(db, clock, "riverside", f"+44770090030{n}") for n in (2, 3))
    for person in (ann, bob):
        person.say("hi")
        person.say("YES")
    ann.say("IDEA more benches on the green")
    ann.say("£2k")
    bob.say("IDEA a park <script>alert(1)</script>")
    bob.say("£1k")
    clock.current = MONDAY_9AM


def _settings(db):
    with db.transaction() as session:
        c = session.scalar(select(Community).where(Community.slug == "riverside"))
        return c.digest_recipients, c.digest_weekday, c.digest_time


def _digests(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Digest))


def _preview(page: str) -> str:
    """The email's HTML as the preview shows it, in its shadow root."""
    return re.search(r'<template shadowrootmode="open">(.*?)</template>', page, re.S)[1]


def _send(client, week: str):
    return post(client, PAGE + "/send", page=PAGE, week=week)


def test_the_digest_page_needs_a_sign_in(client, organiser):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/dashboard/login" in response.location
    for action in ("/settings", "/send", "/public-page"):
        token = csrf(client.get("/dashboard/login").data)  # the guard clears the session
        response = client.post(PAGE + action, data={"csrf_token": token, "week": "2026-W47"})
        assert response.status_code == 302 and "/dashboard/login" in response.location


def test_it_is_in_the_community_menu(client, organiser):
    sign_in(client)
    overview = client.get("/dashboard/riverside/").get_data(as_text=True)
    assert f'href="{PAGE}"' in overview and ">Digest</a>" in overview


def test_another_communitys_digest_is_404_and_nothing_is_sent(client, db, organiser, smtp, cp):
    cp("community", "digest", "--community", "hillside", "--to", "council@example.gov.uk")
    sign_in(client)
    assert client.get("/dashboard/hillside/digest").status_code == 404
    token = csrf(client.get(PAGE).data)
    for action, fields in (
        ("/send", {"week": "2026-W47"}),
        ("/settings", {"recipients": "me@example.org", "day": "monday", "time": "09:00"}),
        ("/public-page", {"public_page": "off"}),
    ):
        response = client.post("/dashboard/hillside/digest" + action, data={"csrf_token": token, **fields})
        assert response.status_code == 404
    assert smtp.messages == [] and _digests(db) == 0
    with db.transaction() as session:
        hillside = session.scalar(select(Community).where(Community.slug == "hillside"))
        assert hillside.digest_recipients == ["council@example.gov.uk"] and hillside.public_page


def test_a_form_without_its_csrf_token_is_refused(client, db, organiser, smtp):
    sign_in(client)
    response = client.post(
        PAGE + "/settings", data={"recipients": "me@example.org", "day": "friday", "time": "17:00"}
    )
    assert response.status_code == 400
    assert client.post(PAGE + "/send", data={"week": "2026-W47"}).status_code == 400
    assert _settings(db) == ([], 0, "09:00") and smtp.messages == []


def test_settings_are_saved_as_community_digest_saves_them(client, db, organiser, cp):
    sign_in(client)
    response = post(
        client,
        PAGE + "/settings",
        page=PAGE,
        recipients="Council@Example.gov.uk\nclerk@example.gov.uk",
        day="friday",
        time="17:30",
    )
    assert response.status_code == 302
    assert _settings(db) == (["council@example.gov.uk", "clerk@example.gov.uk"], 4, "17:30")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Digest for riverside: council@example.gov.uk, clerk@example.gov.uk, Fridays at 17:30." in page
    assert '<option value="friday" selected>' in page and 'value="17:30"' in page
    # The same settings from the CLI read back the same way.
    cp("community", "digest", "--community", "riverside", "--to", "x@example.org")
    assert "x@example.org" in client.get(PAGE).get_data(as_text=True)


def test_bad_settings_say_so_next_to_the_field_keep_what_was_typed_and_save_nothing(client, db, organiser):
    sign_in(client)
    response = post(
        client,
        PAGE + "/settings",
        page=PAGE,
        recipients="council@example.gov.uk, not-an-email",
        day="funday",
        time="25:00",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="recipients-error">&#39;not-an-email&#39; is not an email address</p>' in page
    assert 'id="day-error">&#39;funday&#39; is not a day of the week</p>' in page
    assert 'id="time-error">&#39;25:00&#39; is not a time like 09:00</p>' in page
    assert ">council@example.gov.uk, not-an-email</textarea>" in page and 'value="25:00"' in page
    # One bad field keeps the good ones from being saved too.
    response = post(
        client, PAGE + "/settings", page=PAGE, recipients="council@example.gov.uk", day="sunday", time="9am"
    )
    assert response.status_code == 422 and "is not a time like 09:00" in response.get_data(as_text=True)
    assert _settings(db) == ([], 0, "09:00")


@pytest.mark.parametrize(
    "week, message",
    [
        ("2026-W99", "&#39;2026-W99&#39; is not a week that exists"),
        ("last week", "&#39;last week&#39; is not an ISO week like 2026-W48"),
        ("0001-W01", "&#39;0001-W01&#39; is out of range: give a week between 1970 and 2999"),
        ("9999-W52", "&#39;9999-W52&#39; is out of range: give a week between 1970 and 2999"),
    ],
)
def test_a_bad_week_says_why_and_keeps_it(client, organiser, week, message):
    sign_in(client)
    response = client.get(PAGE, query_string={"week": week})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="week-error">{message}</p>' in page
    assert f'value="{html.escape(week)}"' in page


def test_the_preview_is_the_digest_commonpurse_digest_preview_prints(client, cp, week48):
    sign_in(client)
    page = client.get(PAGE, query_string={"week": "2026-W48"}).get_data(as_text=True)
    assert 'name="week" type="text" value="2026-W48"' in page
    printed = cp("digest", "preview", "--community", "riverside").output
    assert "New residents: 2 (0, +2)" in printed
    assert html.escape(printed, quote=False) in page  # the email's plain-text part, word for word
    frame = _preview(page)
    assert "Weekly digest, week 2026-W48 (from Monday 2026-11-23)" in frame
    assert "<td>New residents</td><td align='right'>2</td><td align='right'>0</td>" in frame
    assert "#1 more benches on the green (submitted)" in frame
    assert "so far" not in frame and "Not sent yet." in page


def test_a_resident_s_words_in_the_preview_are_text_never_markup(client, week48):
    sign_in(client)
    response = client.get(PAGE, query_string={"week": "2026-W48"})
    page = response.get_data(as_text=True)
    frame = _preview(page)
    assert "#2 a park &lt;script&gt;alert(1)&lt;/script&gt; (submitted)" in frame
    assert "<script" not in frame and "<script" not in page
    # And nothing in it could run: the page's policy, which covers the preview, runs no inline script.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_preview_opens_on_the_week_in_progress_with_last_week_a_click_away(client, clock, week48):
    """Issue 24: it opened on last week, so right after residents took part it showed zeros."""
    clock.current = datetime(2026, 11, 26, 12, tzinfo=UTC)  # Thursday of week 2026-W48
    sign_in(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="week" type="text" value="2026-W48"' in page and "Week 2026-W48, so far" in page
    assert "<td>New residents</td><td align='right'>2</td>" in _preview(page)
    assert f'<a href="{PAGE}?week=2026-W47">Last week (2026-W47)</a>' in page
    assert f'<a href="{PAGE}?week=2026-W48" aria-current="page">This week, so far (2026-W48)</a>' in page
    # A week in progress cannot be sent: no button that would only be refused
    assert "digest now to" not in page and "can be sent once the week has ended" in page


def test_the_preview_shows_the_charts_as_the_email_embeds_them(client, cp, week48):
    """Issue 24: it showed each chart as an italic description."""
    allocated = cp("budget", "allocate", "--community", "riverside", "--amount", "£2k", "--title", "Benches")
    assert allocated.exit_code == 0, allocated.output
    sign_in(client)
    frame = _preview(client.get(PAGE).get_data(as_text=True))
    assert "<em>Chart" not in frame
    src, alt = re.search(r'<img src="(data:image/png;base64,[^"]+)" alt="([^"]+)"', frame).groups()
    assert alt.startswith("Money committed and spent over time")
    png = base64.b64decode(src.split(",", 1)[1])
    assert png.startswith(b"\x89PNG")


def test_a_week_in_progress_is_shown_so_far(client, week48):
    sign_in(client)
    page = client.get(PAGE, query_string={"week": "2026-w49"}).get_data(as_text=True)
    assert "so far: the week has not ended" in _preview(page)
    assert "Week 2026-W49, so far" in page


def test_send_now_sends_one_email_and_a_second_click_says_it_was_sent(client, db, cp, smtp, week48):
    cp("community", "digest", "--community", "riverside", "--to", "council@example.gov.uk")
    sign_in(client)
    last_week = client.get(PAGE, query_string={"week": "2026-W48"}).get_data(as_text=True)
    assert "Send the 2026-W48 digest now to 1 recipient" in last_week
    response = _send(client, "2026-W48")
    assert response.status_code == 303 and response.location.endswith(f"{PAGE}?week=2026-W48")
    page = client.get(response.location).get_data(as_text=True)
    assert "Digest 2026-W48 sent." in page and "Sent Mon 30 Nov 2026, 09:00 to 1 recipient." in page
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["council@example.gov.uk"]
    assert message["Subject"] == "Riverside Big Local: weekly digest 2026-W48"
    again = client.get(_send(client, "2026-W48").location).get_data(as_text=True)
    assert "Digest 2026-W48 was already sent: not sent again." in again
    assert len(smtp.messages) == 1 and _digests(db) == 1


def test_send_now_without_recipients_says_so(client, db, smtp, week48):
    sign_in(client)
    page = client.get(_send(client, "2026-W48").location).get_data(as_text=True)
    # The recipients' form is above the Send button, not below it
    assert "no digest recipients: add them under “Who gets it, and when” above, then send." in page
    assert smtp.messages == [] and _digests(db) == 0


def test_send_now_without_an_smtp_server_says_why(client, db, cp, week48):
    cp("community", "digest", "--community", "riverside", "--to", "council@example.gov.uk")
    sign_in(client)
    page = client.get(_send(client, "2026-W48").location).get_data(as_text=True)
    assert (
        "Digest 2026-W48 could not be sent (no mail server is set up for this service yet: whoever runs "
        "it sets COMMONPURSE_SMTP_HOST); try again." in page
    )
    assert "Not sent: the last try failed" in page


def test_send_now_refuses_a_week_that_has_not_ended(client, db, cp, smtp, week48):
    cp("community", "digest", "--community", "riverside", "--to", "council@example.gov.uk")
    sign_in(client)
    page = client.get(_send(client, "2026-W49").location).get_data(as_text=True)
    assert "Not sent: week 2026-W49 has not ended yet: its digest can be sent from 2026-12-07" in page
    assert smtp.messages == [] and _digests(db) == 0
    response = _send(client, "W49")
    assert response.status_code == 422
    assert "&#39;W49&#39; is not an ISO week like 2026-W48" in response.get_data(as_text=True)


def test_the_public_page_is_switched_off_and_on_here(client, db, organiser):
    sign_in(client)
    assert "The public page is <strong>on</strong>." in client.get(PAGE).get_data(as_text=True)
    assert client.get("/c/riverside").status_code == 200
    response = post(client, PAGE + "/public-page", page=PAGE, public_page="off")
    assert response.status_code == 302
    assert "The public page is off." in client.get(PAGE).get_data(as_text=True)
    assert client.get("/c/riverside").status_code == 404
    post(client, PAGE + "/public-page", page=PAGE, public_page="on")
    assert client.get("/c/riverside").status_code == 200


def test_the_languages_residents_may_read_are_set_here(client, db, organiser):
    sign_in(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Cymraeg" in page and "Polski" in page
    response = client.post(
        PAGE + "/languages",
        data={"csrf_token": csrf(client.get(PAGE).data), "languages": ["en", "cy"], "default": "cy"},
    )
    assert response.status_code == 302
    assert "Residents may read Cymraeg, English; newcomers start in Cymraeg." in client.get(PAGE).get_data(
        as_text=True
    )
    with db.transaction() as session:
        assert session.scalars(select(Community).where(Community.slug == "riverside")).one().languages == [
            "cy",
            "en",
        ]


def test_a_default_not_offered_is_refused_and_changes_nothing(client, db, organiser):
    sign_in(client)
    response = client.post(
        PAGE + "/languages",
        data={"csrf_token": csrf(client.get(PAGE).data), "languages": ["en"], "default": "pl"},
    )
    assert response.status_code == 422
    assert "the default must be one of the languages offered" in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(Community).where(Community.slug == "riverside")).one().languages == [
            "en"
        ]


def test_a_language_with_no_translation_is_named_in_the_refusal(client, db, organiser):
    sign_in(client)
    response = client.post(
        PAGE + "/languages",
        data={"csrf_token": csrf(client.get(PAGE).data), "languages": ["en", "de"], "default": "de"},
    )
    assert response.status_code == 422
    assert "no translation for de: choose from en, cy, pl" in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(Community).where(Community.slug == "riverside")).one().languages == [
            "en"
        ]
