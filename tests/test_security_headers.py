"""Issue 26 (9): every response (pages, the API, webhooks, static files, errors) carries a
strict Content-Security-Policy, refuses to be framed, and says not to sniff types or send the
referrer to other sites. Walked over every route the app has, so a new one is covered too."""

import pytest

from bot.web.headers import HEADERS
from tests.dashboard_helpers import make_organiser, sign_in

VALUES = {"slug": "riverside", "number": "1", "step": "open", "fmt": "json", "thread_id": "1", "token": "x"}
STATIC = {"/static/": "public.css", "/dashboard/static/": "dashboard.css", "/c/static/": "public.css"}


def _url(rule) -> str:
    url = rule.rule
    for prefix, filename in STATIC.items():
        if url == prefix + "<path:filename>":
            return prefix + filename
    for name, value in VALUES.items():
        for converter in (
            "",
            "int:",
            "any(open, remind, close, cancel):",
            "any(pb, json):",
            "any(close, reopen):",
        ):
            url = url.replace(f"<{converter}{name}>", value)
    assert "<" not in url, f"give test_security_headers a value for {url}"
    return url


def _routes(app):
    return sorted(
        (_url(rule), method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


@pytest.fixture
def signed_in(app, client, clock, community, token):
    make_organiser(app, clock, email="ann@example.org")
    sign_in(client, email="ann@example.org")
    return client


def test_every_route_sends_the_security_headers(app, signed_in, token):
    seen = []
    for url, method in _routes(app):
        with signed_in.open(url, method=method, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status_code < 500, (method, url, response.status_code)
            for name, value in HEADERS.items():
                assert response.headers.get(name) == value, (method, url, name)
            seen.append(response.status_code)
    assert 200 in seen and len(seen) > 60
    for url in ("/nowhere", "/api/v1/nowhere", "/c/nobody"):
        assert all(signed_in.get(url).headers.get(name) == value for name, value in HEADERS.items())


def test_the_policy_runs_no_inline_script_and_forbids_framing():
    policy = dict(part.split(" ", 1) for part in HEADERS["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self'" and "unsafe" not in policy["script-src"]
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert HEADERS["X-Frame-Options"] == "DENY"
