"""Signing in to the dashboard from a test client, with the CSRF token a browser would send."""

import re

from bot.context import get_db
from bot.domain.organisers import create_organiser

PASSWORD = "correct horse battery"


def make_organiser(app, clock, email="sam@example.org", communities=("riverside",)):
    with get_db(app).transaction() as session:
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
