"""The dashboard in a real browser: an organiser signs in and reads their community."""
from tests.browser import screenshot
from tests.dashboard_helpers import PASSWORD, make_organiser


def test_an_organiser_signs_in_and_sees_the_overview(app, clock, page, member):
    make_organiser(app, clock)
    page.goto("/dashboard/")
    assert "/dashboard/login" in page.url
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill("wrong guess here")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == (
        "That email and password do not match an organiser account.")
    assert page.get_by_label("Email").input_value() == "sam@example.org"  # kept
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Riverside Big Local").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Big Local"
    assert "By SMS: 1" in page.inner_text("main")
    screenshot(page, "dashboard-overview")
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out." in page.inner_text("main")
