"""Web addresses that go into messages: a round's public page, where its ballots are published,
and the community's privacy notice.

The public address (COMMONPURSE_PUBLIC_URL) is set once, by the app factory, so that the services
that send a result (CLI, API, dashboard and scheduler alike) write the same link. Without it there
is no address a resident could open, and messages carry none.
"""

from models import Community, Round

_public_url: str | None = None


def set_public_url(url: str | None) -> None:
    global _public_url
    _public_url = url.rstrip("/") if url else None


def public_url() -> str | None:
    return _public_url


def privacy_path(community: Community) -> str:
    """The community's privacy notice, from the site's root: /c/riverside/privacy."""
    return f"/c/{community.slug}/privacy"


def privacy_page(community: Community) -> str | None:
    """The full address of the privacy notice (served whether or not the public page is on);
    None without a public address."""
    return None if _public_url is None else _public_url + privacy_path(community)


def round_path(community: Community, round_: Round) -> str:
    """The round's public page, from the site's root: /c/riverside/rounds/2."""
    return f"/c/{community.slug}/rounds/{round_.number}"


def round_page(community: Community, round_: Round) -> str | None:
    """The full address of the round's public page, once its ballots are published there; else
    None (no public address, the page switched off, nothing published)."""
    if _public_url is None or not community.public_page or not round_.ballot_file_sha256:
        return None
    return _public_url + round_path(community, round_)
