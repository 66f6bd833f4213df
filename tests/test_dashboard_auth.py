"""Signing in to the dashboard: passwords checked, guessing slowed then refused, sessions that
are safe and end, and communities kept apart."""

import re

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from bot.context import get_db
from models import Organiser
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, post, sign_in


@pytest.fixture
def organiser(app, clock, community, make_community):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    make_organiser(app, clock)


def test_every_page_needs_a_sign_in(client, organiser):
    for path in ("/dashboard/", "/dashboard/riverside/"):
        response = client.get(path)
        assert response.status_code == 302 and "/dashboard/login" in response.location


def test_signing_in_with_the_password_from_organiser_create(client, organiser):
    response = sign_in(client)
    assert response.status_code == 302 and response.location.endswith("/dashboard/")
    home = client.get("/dashboard/")  # one community: straight to it, not a list of one link
    assert home.status_code == 302 and home.location.endswith("/dashboard/riverside/")
    overview = client.get(home.location).get_data(as_text=True)
    assert "Riverside Big Local" in overview and "Hillside" not in overview


def _signed_out(client) -> bool:
    response = client.get("/dashboard/")
    return response.status_code == 302 and "/dashboard/login" in response.location


def test_an_organiser_of_two_communities_chooses_one(app, clock, client, organiser):
    make_organiser(app, clock, "kim@example.org", ("riverside", "hillside"))
    sign_in(client, email="kim@example.org")
    home = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/dashboard/riverside/"' in home and 'href="/dashboard/hillside/"' in home


def test_a_wrong_password_says_so_and_keeps_the_email(client, organiser):
    response = sign_in(client, password="wrong guess here")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "That email and password do not match an organiser account." in page
    assert 'value="sam@example.org"' in page
    assert _signed_out(client)  # still signed out


def test_an_unknown_email_gets_the_same_answer(client, organiser):
    page = sign_in(client, email="nobody@example.org").get_data(as_text=True)
    assert "That email and password do not match an organiser account." in page


@pytest.mark.slow
def test_repeated_failures_are_refused_for_a_while_even_with_the_right_password(client, organiser, clock):
    for _ in range(5):
        sign_in(client, password="wrong guess here")
    refused = sign_in(client)  # the right password, but too late
    assert refused.status_code == 401
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.get_data(as_text=True)
    clock.advance(minutes=16)
    assert sign_in(client).status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(app, client, organiser):
    app.config["SESSION_COOKIE_SECURE"] = True  # what an https PUBLIC_URL sets
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Expires=" in cookie  # a lifetime, not forever


def test_https_public_url_makes_the_cookie_secure(database_url, clock):
    from bot.web.app import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "PUBLIC_URL": "https://purse.example.org", "CLOCK": clock}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert create_app({"DATABASE_URL": database_url}).config["SESSION_COOKIE_SECURE"] is False


def test_a_form_without_its_csrf_token_is_refused(client, organiser):
    response = client.post("/dashboard/login", data={"email": "sam@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert _signed_out(client)


def test_another_communitys_pages_are_404_like_a_missing_one(client, organiser):
    sign_in(client)
    assert client.get("/dashboard/hillside/").status_code == 404
    assert client.get("/dashboard/nowhere/").status_code == 404
    assert client.get("/dashboard/riverside/").status_code == 200


def test_sign_out_ends_the_session(client, organiser):
    sign_in(client)
    page = client.get("/dashboard/", follow_redirects=True).get_data(as_text=True)
    assert client.post("/dashboard/logout", data={"csrf_token": csrf(page)}).status_code == 302
    assert _signed_out(client)


def test_a_new_password_ends_sessions_signed_in_with_the_old_one(app, client, organiser):
    sign_in(client)
    with get_db(app).transaction() as session:
        organiser_ = session.scalars(select(Organiser)).one()
        organiser_.password_hash = generate_password_hash("another long passphrase")
    assert _signed_out(client)


def test_after_sign_in_you_land_where_you_were_going_but_never_off_site(client, organiser):
    token = csrf(client.get("/dashboard/login").data)
    response = client.post(
        "/dashboard/login?next=/dashboard/riverside/",
        data={"email": "sam@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.location.endswith("/dashboard/riverside/")
    client.post("/dashboard/logout", data={"csrf_token": csrf(client.get("/dashboard/riverside/").data)})
    token = csrf(client.get("/dashboard/login").data)
    response = client.post(
        "/dashboard/login?next=//evil.example.com/",
        data={"email": "sam@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.location.endswith("/dashboard/")


def test_the_overview_counts_members_ideas_turnout_and_money(client, organiser, member, cp, clock):
    from tests.conftest import park_round

    park_round(cp, "riverside", member.say)
    cp("round", "open", "--community", "riverside", "1")
    member.say("1")
    cp("budget", "allocate", "--community", "riverside", "--amount", "£20k", "--title", "Garden")
    sign_in(client)
    page = client.get("/dashboard/riverside/").get_data(as_text=True)
    assert "By SMS: 1" in page
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Turnout: 1 of 1 members voted ( 100% )" in text
    assert "Park closes" in page
    assert "£1,150,000" in page and "£1,130,000" in page and "£20,000" in page
    assert "+44" not in page  # never a resident's number


def test_post_helper_is_used(client, organiser):
    sign_in(client)
    assert post(client, "/dashboard/logout", page="/dashboard/riverside/").status_code == 302


def test_each_further_failure_waits_a_little_longer(client, organiser, monkeypatch):
    import bot.web.dashboard.auth as auth

    waits = []
    monkeypatch.setattr(auth.time, "sleep", waits.append)
    for _ in range(4):
        sign_in(client, password="wrong guess here")
    assert waits == [0.25, 0.5, 0.75]  # none before the first failure


def test_organiser_password_sets_a_new_one_and_ends_old_sessions(app, client, organiser, runner):
    from bot.cli import cli

    sign_in(client)
    result = runner.invoke(
        cli, ["organiser", "password", "--email", "sam@example.org"], input="a brand new passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert "signed out everywhere" in result.output
    assert _signed_out(client)  # the old session is over
    assert sign_in(client).status_code == 401
    assert sign_in(client, password="a brand new passphrase").status_code == 302
    short = runner.invoke(cli, ["organiser", "password", "--email", "sam@example.org"], input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    nobody = runner.invoke(
        cli, ["organiser", "password", "--email", "no@example.org"], input="a brand new passphrase\n"
    )
    assert nobody.exit_code == 2 and "no organiser" in nobody.output


MONEY = "/dashboard/riverside/money"


def _copy(app, client):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    other = app.test_client()
    other.set_cookie("commonpurse_session", client.get_cookie("commonpurse_session").value)
    return other


def test_sign_out_ends_the_session_everywhere_it_was_copied(app, client, organiser):
    """Issue 26 (8): a cookie copied before sign-out still opened the Money page after it."""
    sign_in(client)
    copied = _copy(app, client)
    assert copied.get(MONEY).status_code == 200
    assert post(client, "/dashboard/logout", page="/dashboard/riverside/").status_code == 302
    response = copied.get(MONEY)
    assert response.status_code == 302 and "/dashboard/login" in response.location


def test_a_password_change_ends_every_copy_of_every_session(app, client, organiser, runner):
    from bot.cli import cli

    sign_in(client)
    copied, elsewhere = _copy(app, client), app.test_client()
    sign_in(elsewhere)
    result = runner.invoke(
        cli, ["organiser", "password", "--email", "sam@example.org"], input="a brand new passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert all(c.get(MONEY).status_code == 302 for c in (client, copied, elsewhere))


def test_organiser_sessions_lists_and_revokes_them_by_command(app, client, organiser, cp):
    sign_in(client)
    elsewhere = app.test_client()
    sign_in(elsewhere)
    copied = _copy(app, client)
    listed = cp("organiser", "sessions", "--email", "sam@example.org")
    assert listed.exit_code == 0 and "2 sessions" in listed.output, listed.output
    revoked = cp("organiser", "sessions", "--email", "sam@example.org", "--revoke")
    assert revoked.exit_code == 0 and "Ended 2 sessions" in revoked.output, revoked.output
    assert all(c.get(MONEY).status_code == 302 for c in (client, copied, elsewhere))
    assert "0 sessions" in cp("organiser", "sessions", "--email", "sam@example.org").output
    assert sign_in(client).status_code == 302 and client.get(MONEY).status_code == 200  # in again
    nobody = cp("organiser", "sessions", "--email", "no@example.org", "--revoke")
    assert nobody.exit_code == 2 and "no organiser" in nobody.output


def test_a_session_ends_after_its_hours_on_the_server_too(client, organiser, clock):
    """A copied cookie is refused once the session's hours (8) have passed, whatever the
    cookie's own expiry says."""
    sign_in(client)
    clock.advance(hours=7, minutes=59)
    assert client.get(MONEY).status_code == 200
    clock.advance(minutes=2)
    assert client.get(MONEY).status_code == 302


def _from(client, address: str, **fields):
    token = csrf(client.get("/dashboard/login", environ_base={"REMOTE_ADDR": address}).data)
    data = {"email": "sam@example.org", "password": PASSWORD, "csrf_token": token, **fields}
    return client.post("/dashboard/login", data=data, environ_base={"REMOTE_ADDR": address})


def test_whoever_knows_an_organisers_email_cannot_lock_them_out(app, client, organiser):
    """Lockout was per account: five wrong guesses from anywhere kept the organiser out for good."""
    app.config["SIGN_IN_SLOWDOWN"] = 0
    for _ in range(5):
        assert _from(client, "203.0.113.9", password="a wrong guess").status_code == 401
    refused = _from(client, "203.0.113.9")  # the guesser's address is refused, even when right
    assert refused.status_code == 401 and "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert _from(app.test_client(), "198.51.100.7").status_code == 302  # the organiser gets in


def test_a_proxy_unseen_because_proxy_fix_is_off_is_warned_of_once(app, client, caplog):
    app.config["PROXY_FIX"] = 0
    with caplog.at_level("WARNING", logger="bot.web.app"):
        client.get("/healthz")
        for _ in range(2):
            client.get("/healthz", headers={"X-Forwarded-For": "198.51.100.7"})
    warned = [r.getMessage() for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warned) == 1 and "COMMONPURSE_PROXY_FIX" in warned[0] and "198.51" not in warned[0]
