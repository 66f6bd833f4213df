"""Signing in to the dashboard from a test client, with the CSRF token a browser would send."""

import re
from functools import cache
from unittest import mock

from werkzeug.security import generate_password_hash

from bot.context import get_db
from bot.domain.organisers import create_organiser

PASSWORD = "correct horse battery"


@cache
def quick_hash(password: str) -> str:
    """A real scrypt hash, made once, at a low work factor: an organiser made here is signed in
    by the same check_password_hash (which reads the factor from the hash) in about 4 ms rather
    than 0.1 s, and making one costs nothing. Organisers made through the CLI and the dashboard,
    as in the sign-in tests, get the production factor."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


def make_organiser(app, clock, email="sam@example.org", communities=("riverside",)):
    with (
        get_db(app).transaction() as session,
        mock.patch("bot.domain.organisers.generate_password_hash", quick_hash),
    ):
        create_organiser(
            session,
            email=email,
            name=email.split("@")[0].title(),
            password=PASSWORD,
            community_slugs=list(communities),
            now=clock(),
        )


def csrf(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    return re.search(r'name="csrf_token" value="([^"]+)"', text)[1]


def sign_in(client, email="sam@example.org", password=PASSWORD):
    token = csrf(client.get("/dashboard/login").data)
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path: str, page: str | None = None, **fields):
    """A form post with the CSRF token from `page` (default: the same path)."""
    token = csrf(client.get(page or path).data)
    return client.post(path, data={**fields, "csrf_token": token})
