"""Issue 26: organisers' two-factor sign-in. An authenticator app is set up from the dashboard
(a QR code and the key in text, confirmed with a code), ten recovery codes are shown once;
after the password an organiser with it gives a code, each code signs in once, a step of
clock drift either way is allowed, and wrong codes count as failed sign-ins. A community can
require it; `organiser 2fa reset` takes it away, audited, and ends the organiser's sessions.
Defect 10's last part: the right password with a good code passes a lock an attacker caused.

Codes are computed with pyotp at the app's own fixed clock (the `clock` fixture)."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from bot.context import get_db
from bot.domain import two_factor
from models import Organiser, RecoveryCode, SignInAttempt
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, quick_hash, sign_in

HOME = "/dashboard/riverside/"
PAGE = "/dashboard/two-factor"


@pytest.fixture(autouse=True)
def quick_recovery_hashes(monkeypatch):
    """Recovery codes hashed as the tests' passwords are: scrypt, at a low work factor."""
    monkeypatch.setattr(two_factor, "generate_password_hash", quick_hash)


@pytest.fixture
def organiser(app, clock, community):
    app.config["SIGN_IN_SLOWDOWN"] = 0
    make_organiser(app, clock)


def _once(html: str) -> str:
    return re.search(r'name="once" value="([^"]+)"', html)[1]


def _secret(html: str) -> str:
    return re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html)[1].replace(" ", "")


def _codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", html)


def _code(secret: str, clock, seconds: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + timedelta(seconds=seconds))


def _enrol(client, clock) -> tuple[str, list[str]]:
    """Set up an app from the page (signed in): its secret, and the recovery codes shown."""
    page = client.get(PAGE).get_data(as_text=True)
    secret = _secret(page)
    done = client.post(
        PAGE + "/confirm",
        data={"code": _code(secret, clock), "csrf_token": csrf(page), "once": _once(page)},
    )
    assert done.status_code == 200, done.data
    assert done.headers["Cache-Control"] == "no-store"
    return secret, _codes(done.get_data(as_text=True))


def _signed_out(client) -> bool:
    response = client.get(HOME)
    return response.status_code == 302 and "/dashboard/login" in response.location


def _sign_out(client) -> None:
    client.post("/dashboard/logout", data={"csrf_token": csrf(client.get(HOME).data)})


def _give(client, code: str, address: str = "127.0.0.1"):
    page = client.get("/dashboard/login/code", environ_base={"REMOTE_ADDR": address})
    assert page.status_code == 200, page.location
    return client.post(
        "/dashboard/login/code",
        data={"code": code, "csrf_token": csrf(page.data)},
        environ_base={"REMOTE_ADDR": address},
    )


def _password(client, address: str = "127.0.0.1", password: str = PASSWORD, code: str | None = None):
    token = csrf(client.get("/dashboard/login", environ_base={"REMOTE_ADDR": address}).data)
    data = {"email": "sam@example.org", "password": password, "csrf_token": token}
    if code is not None:
        data["code"] = code
    return client.post("/dashboard/login", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def enrolled(client, clock, organiser):
    """Sam, with an app set up and signed out; the clock a step on (the confirming code is used)."""
    sign_in(client)
    secret, codes = _enrol(client, clock)
    _sign_out(client)
    clock.advance(seconds=30)
    return secret, codes


def test_setting_up_shows_a_qr_code_and_the_key_and_needs_a_code_from_the_app(client, clock, organiser, cp):
    sign_in(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and 'alt="QR code to scan' in page  # img-src allows data:
    secret = _secret(page)
    assert len(secret) == 32 and _secret(client.get(PAGE).get_data(as_text=True)) == secret  # kept
    wrong = client.post(
        PAGE + "/confirm", data={"code": "000000", "csrf_token": csrf(page), "once": _once(page)}
    )
    assert wrong.status_code == 400 and "That code does not match" in wrong.get_data(as_text=True)
    assert 'href="#confirm-code-error"' in wrong.get_data(as_text=True)  # the error summary
    assert "off" in cp("organiser", "2fa", "status", "sam@example.org").output
    again = client.get(PAGE).get_data(as_text=True)
    done = client.post(
        PAGE + "/confirm",
        data={"code": _code(secret, clock), "csrf_token": csrf(again), "once": _once(again)},
    )
    codes = _codes(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "shown only this once" in done.get_data(as_text=True)
    shown = client.get(PAGE).get_data(as_text=True)
    assert "It is on" in shown and "10 recovery codes left" in shown
    assert not any(code in shown for code in codes) and secret not in shown  # never again
    status = cp("organiser", "2fa", "status", "sam@example.org")
    assert status.exit_code == 0 and re.search(
        r"sam@example.org\s+on\s+2026-11-26T10:00\+00:00\s+10", status.output
    )
    with get_db(client.application).transaction() as session:  # only scrypt hashes are kept
        hashes = list(session.scalars(select(RecoveryCode.code_hash)))
        assert session.scalars(select(Organiser.totp_secret)).one() == secret
    assert len(hashes) == 10 and all(h.startswith("scrypt:") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)


def test_after_the_password_a_code_and_only_then_a_session(client, clock, enrolled):
    secret, _ = enrolled
    response = _password(client)
    assert response.status_code == 302 and response.location.endswith("/dashboard/login/code")
    assert _signed_out(client)  # the password alone opens nothing
    wrong = _give(client, "123456")
    assert wrong.status_code == 401 and "That code is not right" in wrong.get_data(as_text=True)
    right = _give(client, _code(secret, clock))
    assert right.status_code == 302 and right.location.endswith("/dashboard/")
    assert client.get(HOME).status_code == 200


def test_a_code_already_used_is_refused(client, clock, enrolled):
    secret, _ = enrolled
    code = _code(secret, clock)
    _password(client)
    assert _give(client, code).status_code == 302
    _sign_out(client)
    _password(client)  # the same code, in the same 30 seconds, as someone who saw it typed
    replayed = _give(client, code)
    assert replayed.status_code == 401 and "already used" in replayed.get_data(as_text=True)
    assert _signed_out(client)
    clock.advance(seconds=30)
    assert _give(client, _code(secret, clock)).status_code == 302  # the next one does


def test_a_step_of_clock_drift_either_way_and_no_more(client, clock, enrolled):
    secret, _ = enrolled
    clock.advance(seconds=60)  # the steps either side were never used: only drift refuses them
    for drift, status in ((-60, 401), (60, 401), (-30, 302), (30, 302)):
        _password(client)
        assert _give(client, _code(secret, clock, drift)).status_code == status, drift
        if status == 302:
            _sign_out(client)


def test_a_recovery_code_signs_in_once(client, clock, enrolled, cp):
    _, codes = enrolled
    _password(client)
    assert _give(client, codes[0].upper().replace("-", " ")).status_code == 302  # as typed
    assert client.get(HOME).status_code == 200
    _sign_out(client)
    _password(client)
    again = _give(client, codes[0])
    assert again.status_code == 401 and _signed_out(client)
    assert _give(client, codes[1]).status_code == 302
    assert "8 recovery codes left" in client.get(PAGE).get_data(as_text=True)
    trail = cp("audit", "--community", "riverside").output
    assert trail.count("a recovery code used") == 2


def test_the_password_step_lasts_five_minutes(client, clock, enrolled):
    secret, _ = enrolled
    _password(client)
    clock.advance(minutes=5, seconds=1)
    late = client.get("/dashboard/login/code")
    assert late.status_code == 302 and late.location.endswith("/dashboard/login")


def test_wrong_codes_count_as_failed_sign_ins(client, clock, enrolled, monkeypatch):
    import bot.web.dashboard.auth as auth

    secret, _ = enrolled
    auth_config = client.application.config
    auth_config["SIGN_IN_SLOWDOWN"] = 0.25
    waits: list[float] = []
    monkeypatch.setattr(auth.time, "sleep", waits.append)
    _password(client)
    for _ in range(3):
        _give(client, "111111")
    assert waits == [0.25, 0.5]  # slowed as after wrong passwords (the code page's GET counts none)
    auth_config["SIGN_IN_SLOWDOWN"] = 0
    _give(client, "111111")
    _give(client, "111111")  # five wrong codes for Sam from here
    refused = _password(client)
    assert refused.status_code == 401 and "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_the_right_password_with_a_code_passes_a_lock_someone_else_caused(app, client, clock, enrolled):
    """Defect 10: whoever knows Sam's email and shares Sam's address (one office, or a proxy
    without COMMONPURSE_PROXY_FIX) locks Sam out from there with five wrong passwords. With a
    second factor, Sam's password and a code, given together, still sign in; without one, the
    same answer as any refused try, so the lock still tells a guesser nothing."""
    secret, _ = enrolled
    shared = "203.0.113.9"
    attacker = app.test_client()
    for _ in range(5):
        assert _password(attacker, shared, password="a wrong guess").status_code == 401
    refused = _password(client, shared)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401 and "Too many failed sign-ins" in page
    assert 'name="code"' in page  # the form now asks for the code too
    for password, code in ((PASSWORD, "000000"), ("a wrong guess", _code(secret, clock)), (PASSWORD, "")):
        tried = _password(attacker, shared, password=password, code=code)
        assert "Too many failed sign-ins" in tried.get_data(as_text=True), (password, code)
    passed = _password(client, shared, code=_code(secret, clock))
    assert passed.status_code == 302 and client.get(HOME).status_code == 200
    # From anywhere else, the usual two steps, as before
    _sign_out(client)
    clock.advance(seconds=30)
    elsewhere = app.test_client()
    assert _password(elsewhere, "198.51.100.7").location.endswith("/dashboard/login/code")
    assert _give(elsewhere, _code(secret, clock), "198.51.100.7").status_code == 302


def test_a_lock_is_not_passed_by_a_code_without_two_factor(app, client, organiser):
    for _ in range(5):
        _password(client, password="a wrong guess")
    refused = _password(client, code="123456")
    assert "Too many failed sign-ins" in refused.get_data(as_text=True) and _signed_out(client)


def test_too_many_wrong_codes_from_anywhere_stop_codes_for_a_while(app, client, clock, enrolled):
    """Whoever types wrong codes has the password: spread over many addresses, ten wrong codes
    stop every code for the account for 15 minutes, the right one too."""
    secret, _ = enrolled
    for n in range(10):
        other = app.test_client()
        _password(other, f"198.51.100.{n}")
        assert _give(other, "111111", f"198.51.100.{n}").status_code == 401
    _password(client, "192.0.2.1")
    stopped = _give(client, _code(secret, clock), "192.0.2.1")
    assert stopped.status_code == 401
    assert "Too many wrong codes for this account. Try again in 15 minutes." in stopped.get_data(as_text=True)
    clock.advance(minutes=15, seconds=1)
    _password(client, "192.0.2.1")
    assert _give(client, _code(secret, clock), "192.0.2.1").status_code == 302


def test_a_community_can_require_it_of_all_its_organisers(client, clock, organiser, cp):
    assert cp("community", "require-2fa", "--community", "riverside").exit_code == 0
    response = sign_in(client)
    assert response.status_code == 302  # the password is all they have yet
    for path in (HOME, "/dashboard/riverside/money", "/dashboard/"):
        sent = client.get(path)
        assert sent.status_code == 302 and sent.location.endswith(PAGE), path
    page = client.get(PAGE).get_data(as_text=True)
    assert "Riverside Big Local requires it of every organiser." in page
    secret, codes = _enrol(client, clock)
    assert len(codes) == 10 and client.get(HOME).status_code == 200
    trail = cp("audit", "--community", "riverside").output
    assert "require_two_factor: False -> True" in trail and "two-factor sign-in turned on" in trail
    assert "riverside" in cp("organiser", "2fa", "status", "--json").output
    off = cp("community", "require-2fa", "--community", "riverside", "--off")
    assert off.exit_code == 0 and "no longer requires" in off.output


def test_the_digest_page_switches_the_requirement(client, clock, organiser, db, cp):
    sign_in(client)
    digest = "/dashboard/riverside/digest"
    page = client.get(digest).get_data(as_text=True)
    assert "Two-factor sign-in is <strong>not required</strong>." in page
    done = client.post(
        digest + "/two-factor", data={"require": "on", "csrf_token": csrf(page), "once": _once(page)}
    )
    assert done.status_code == 302 and done.location.endswith(digest)
    sent = client.get(digest)  # Sam has none yet: set it up first
    assert sent.status_code == 302 and sent.location.endswith(PAGE)
    shown = client.get(PAGE).get_data(as_text=True)
    assert "Riverside Big Local requires two-factor sign-in of its organisers." in shown
    _enrol(client, clock)
    page = client.get(digest).get_data(as_text=True)
    assert "Two-factor sign-in is <strong>required</strong>." in page
    client.post(
        digest + "/two-factor", data={"require": "off", "csrf_token": csrf(page), "once": _once(page)}
    )
    assert "not required" in client.get(digest).get_data(as_text=True)
    assert "require_two_factor: True -> False" in cp("audit", "--community", "riverside").output


def test_allocating_is_refused_until_enrolled(client, clock, organiser, cp, db):
    from models import Allocation

    cp("community", "require-2fa", "--community", "riverside")
    sign_in(client)
    token = csrf(client.get(PAGE).data)
    client.post(
        "/dashboard/riverside/money/allocate", data={"title": "Garden", "amount": "£20k", "csrf_token": token}
    )
    with db.transaction() as session:
        assert session.query(Allocation).count() == 0


def test_reset_by_command_is_audited_and_ends_their_sessions(app, client, clock, enrolled, cp):
    secret, _ = enrolled
    _password(client)
    _give(client, _code(secret, clock))
    assert client.get(HOME).status_code == 200
    result = cp("organiser", "2fa", "reset", "Sam@Example.org")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Two-factor sign-in reset for sam@example.org; ended 1 session."
    assert _signed_out(client)
    trail = cp("audit", "--community", "riverside").output
    assert re.search(
        r"cli\s+organiser sam@example.org\s+two-factor sign-in reset; 1 session\(s\) ended", trail
    )
    assert re.search(r"sam@example.org\s+off", cp("organiser", "2fa", "status").output)
    assert sign_in(client).location.endswith("/dashboard/")  # the password alone, until set up again
    nobody = cp("organiser", "2fa", "reset", "no@example.org")
    assert nobody.exit_code == 2 and "no organiser" in nobody.output


def test_turning_it_off_needs_a_current_code(client, clock, enrolled, cp):
    secret, _ = enrolled
    _password(client)
    _give(client, _code(secret, clock))
    page = client.get(PAGE).get_data(as_text=True)
    wrong = client.post(
        PAGE + "/disable", data={"code": "000000", "csrf_token": csrf(page), "once": _once(page)}
    )
    assert wrong.status_code == 400 and "That code is not right" in wrong.get_data(as_text=True)
    with get_db(client.application).transaction() as session:  # counted as at sign-in
        assert session.scalar(select(func.count()).where(~SignInAttempt.succeeded)) == 1
    clock.advance(seconds=30)
    page = client.get(PAGE).get_data(as_text=True)
    off = client.post(
        PAGE + "/disable", data={"code": _code(secret, clock), "csrf_token": csrf(page), "once": _once(page)}
    )
    assert off.status_code == 302
    assert "Two-factor sign-in is off" in client.get(off.location).get_data(as_text=True)
    assert "two-factor sign-in turned off" in cp("audit", "--community", "riverside").output
    _sign_out(client)
    assert sign_in(client).location.endswith("/dashboard/")


# In a real browser (Chromium), codes computed at the app's clock from the key read off the page.


def _browser_sign_in(page, password: str = PASSWORD) -> None:
    page.goto("/dashboard/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _browser_code(page, code: str) -> None:
    assert page.url.endswith("/dashboard/login/code")
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()


def test_in_a_browser_set_up_then_sign_in_with_a_code_and_with_a_recovery_code(app, clock, page, organiser):
    from tests.browser import screenshot

    _browser_sign_in(page)
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.wait_for_load_state("load")
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 100  # drawn, not blocked
    secret = page.locator("#secret").inner_text().replace(" ", "")
    screenshot(page, "dashboard-two-factor")
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert "That code does not match" in page.locator("#error-summary").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(clock()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="Sign out").click()

    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock())
    _browser_sign_in(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Enter your sign-in code"
    _browser_code(page, code)
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Big Local"
    page.get_by_role("button", name="Sign out").click()

    _browser_sign_in(page)  # the same code again, within its 30 seconds
    _browser_code(page, code)
    assert "already used" in page.get_by_role("alert").inner_text()
    _browser_code(page, codes[3])  # a recovery code instead
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Big Local"
    page.get_by_role("button", name="Sign out").click()

    _browser_sign_in(page)
    _browser_code(page, codes[3])  # used up
    assert "That code is not right" in page.get_by_role("alert").inner_text()
    assert page.url.endswith("/dashboard/login/code")
    # Let the page's last files arrive before the browser closes: a download cut short leaves
    # the test server's file open (a ResourceWarning, an error under filterwarnings=error).
    page.wait_for_load_state("networkidle")


def test_two_sign_ins_racing_with_one_code_let_only_one_in(db, clock, enrolled, backend):
    """The used step is claimed by one guarded UPDATE, not by what each request read: two
    requests that both read Sam before either wrote cannot both use the same code."""
    if backend.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    secret, _ = enrolled
    code = _code(secret, clock)
    first, second = db.sessions(), db.sessions()
    try:
        by_email = select(Organiser).where(Organiser.email == "sam@example.org")
        sam_first, sam_second = first.scalars(by_email).one(), second.scalars(by_email).one()
        assert two_factor.check(first, sam_first, code, clock())
        first.commit()
        assert not two_factor.check(second, sam_second, code, clock())
    finally:
        first.close()
        second.close()


def test_turning_it_on_ends_the_accounts_other_sessions(app, client, clock, organiser):
    """Review: a session opened elsewhere with the password alone (a stolen one, say) went on
    working after the owner turned two-factor sign-in on. It ends; the owner's own goes on."""
    elsewhere = app.test_client()
    sign_in(elsewhere)
    sign_in(client)
    assert not _signed_out(elsewhere) and not _signed_out(client)
    _enrol(client, clock)
    assert _signed_out(elsewhere)
    assert not _signed_out(client)


def test_an_api_token_is_refused_until_its_organiser_has_two_factor_sign_in(client, clock, organiser, cp, db):
    """A community requiring two-factor sign-in kept its organisers out of the dashboard until
    they set it up, but their API tokens went on working: the requirement is theirs too."""
    from bot.domain.organisers import create_token
    from models import Organiser

    with db.transaction() as session:
        sam = session.scalars(select(Organiser)).one()
        token = create_token(session, sam, "scripts", clock())
    budget = "/api/v1/communities/riverside/budget"
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(budget, headers=bearer).status_code == 200
    assert cp("community", "require-2fa", "--community", "riverside").exit_code == 0
    refused = client.get(budget, headers=bearer)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "two_factor_required"
    assert "two-factor sign-in" in refused.get_json()["error"]["message"]
    sign_in(client)
    _enrol(client, clock)
    assert client.get(budget, headers=bearer).status_code == 200
