"""A page that is not there, or not this organiser's, looks like the rest of the site and
offers a way back; the API keeps answering in JSON; browsers find the site's icon."""

import pytest

from tests.dashboard_helpers import make_organiser, sign_in


@pytest.fixture
def signed_in(app, clock, client, community):
    make_organiser(app, clock)
    sign_in(client)
    return client


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_a_missing_dashboard_page_has_the_dashboards_style_and_a_way_back(signed_in):
    response = signed_in.get("/dashboard/nowhere/")
    page = _page(response)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "<h1>Page not found</h1>" in page and "dashboard.css" in page
    assert '<a href="/dashboard/">Back to the dashboard</a>' in page


def test_a_missing_page_under_a_community_leads_back_to_its_page(client, community):
    page = _page(client.get("/c/riverside/no-such-page"))
    assert "Page not found" in page and '<a href="/c/riverside">Back to the community' in page
    missing = client.get("/c/nowhere")
    assert missing.status_code == 404 and '<a href="/">Back to the start</a>' in _page(missing)


def test_a_wrong_method_is_said_in_words(signed_in):
    response = signed_in.delete("/dashboard/riverside/")
    assert response.status_code == 405 and "That can&#39;t be done from here" in _page(response)


def test_the_api_still_answers_in_json(client, community):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_the_site_has_an_icon(client, community):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    for path in ("/c/riverside", "/dashboard/login"):
        assert 'rel="icon"' in _page(client.get(path))
