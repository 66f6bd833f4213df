"""Issue 25 (2): a council follows several communities. Its officers sign in on the organisers'
form and read each community's overview, rounds and money, changing nothing and seeing no
resident: no phone number, Telegram id or message text on any page they can reach. An
organiser still sees only the communities they run."""

import csv
import io
import json
import re
import socket
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from bot.context import get_db
from bot.domain import audit, ledger, moderation, rounds
from bot.domain.ballots import cast
from bot.domain.communities import by_slug
from bot.domain.councils import add_community, create_council, create_officer, remove_community
from bot.domain.ideas import submit_idea
from bot.domain.residents import resident_for
from bot.errors import InvalidInput
from channels.messages import Address
from models import AuditEntry, Community, CouncilDigest
from scheduler import jobs, runtime
from scheduler.service import build, wanted_jobs
from tests.conftest import Chat
from tests.dashboard_helpers import PASSWORD, csrf, make_organiser, quick_hash, sign_in
from tests.round_helpers import member_of

OFFICER = "olu@northborough.gov.uk"
PHONES = ("+447700900301", "+447700900302", "+447700900303", "+447700900304")
TELEGRAM_CHAT = "987654321"
# What residents wrote: ideas never put to a vote, and messages to the organisers.
WRITTEN = (
    "Fix the damp in flat 3 at Elm Court",
    "My neighbour at 12 Mill Lane plays drums",
    "When is the next meeting in the hall",
    "Please call me back about the grant",
)


def phone_forms(e164: str) -> list[str]:
    """Every way a page could show a UK mobile: +44 7700 900301, 07700900301, 07700 900301..."""
    national = "0" + e164.removeprefix("+44")
    digits = e164.removeprefix("+")
    return [
        e164,
        digits,
        national,
        f"{national[:5]} {national[5:]}",
        f"+44 {national[1:5]} {national[5:]}",
        e164.removeprefix("+44"),
    ]


@pytest.fixture
def borough(app, db, clock, make_community):
    """North Borough follows Riverside and Hillside, not Valley; each has residents who wrote,
    Riverside a closed round with ballots and money committed and spent."""
    riverside = make_community()
    hillside = make_community(
        name="Hillside Together", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002"
    )
    make_community(name="Valley Voices", slug="valley", join_code="VALLEY", sms_number="+441632960003")
    now = clock()
    with db.transaction() as session, audit.acting_as("cli"):
        riverside, hillside = session.merge(riverside), session.merge(hillside)
        people = [member_of(session, riverside, phone, now) for phone in PHONES[:3]]
        people.append(member_of(session, hillside, PHONES[3], now))
        on_telegram = resident_for(session, riverside, Address("telegram", TELEGRAM_CHAT), now)
        on_telegram.status, on_telegram.consent_at = "active", now
        for text_ in ("New benches on the green", "A mural by the station"):
            idea = submit_idea(session, riverside, people[0], text_, now, cost_pence=100_000)
            moderation.shortlist(session, riverside, idea.number, None, now)
        submit_idea(session, riverside, people[1], WRITTEN[0], now)
        submit_idea(session, hillside, people[3], WRITTEN[1], now)
        round_ = rounds.create_round(
            session,
            riverside,
            title="Park",
            method="approval",
            idea_numbers=[1, 2],
            opens_at=now + timedelta(minutes=1),
            closes_at=now + timedelta(days=2),
            now=now,
        )
        rounds.open_round(session, round_, now + timedelta(minutes=1))
        cast(session, round_, people[0], [1], "sms", now + timedelta(minutes=2))
        cast(session, round_, people[1], [1, 2], "sms", now + timedelta(minutes=3))
        rounds.close_round(session, round_, now + timedelta(days=2))
        ledger.spend(
            session, riverside, description="Bench fixings", amount_pence=25_000, spent_on=now.date(), now=now
        )
        council = create_council(
            session, name="North Borough", emails=["digest@northborough.gov.uk"], now=now
        )
        add_community(session, council, riverside, now)
        add_community(session, council, hillside, now)
        with mock.patch("bot.domain.organisers.generate_password_hash", quick_hash):
            create_officer(session, council, email=OFFICER, name="Olu Officer", password=PASSWORD, now=now)
    for phone, text_ in ((PHONES[0], WRITTEN[2]), (PHONES[3], WRITTEN[3])):
        slug = "riverside" if phone != PHONES[3] else "hillside"
        Chat(db, clock, slug, phone).say(text_)
    clock.advance(days=3)
    return council


@pytest.fixture
def officer(client, borough):
    assert sign_in(client, email=OFFICER).status_code == 302
    return client


def test_an_officer_signs_in_to_the_council_and_sees_both_its_communities_and_not_a_third(officer):
    home = officer.get("/dashboard/", follow_redirects=True)
    assert home.request.path == "/dashboard/council/"
    page = home.get_data(as_text=True)
    assert "North Borough" in page
    assert "Riverside Big Local" in page and "Hillside Together" in page
    assert "Valley Voices" not in page
    # One line each: members, ideas, the latest round's turnout, money committed and spent.
    row = re.search(r'<tr id="community-riverside">(.*?)</tr>', page, re.S)[1]
    assert "<td>4</td>" in row  # three by SMS and one on Telegram
    assert "<td>3</td>" in row  # ideas
    assert "Park" in row and "50%" in row and "2 ballots" in row
    assert "£2,250" in row and "£250" in row  # committed (the winners and a spending), spent
    for slug in ("riverside", "hillside"):
        for path in ("/", "/rounds", "/money"):
            assert officer.get(f"/dashboard/council/{slug}{path}").status_code == 200
    # The third community, by URL too, is not there for them.
    for path in ("/", "/rounds", "/rounds/1", "/money"):
        assert officer.get(f"/dashboard/council/valley{path}").status_code == 404


def test_an_officer_cannot_open_any_organisers_page(officer):
    """An officer runs no community: every organiser page (inbox, ideas, ballots) is a 404."""
    for path in (
        "/dashboard/riverside/",
        "/dashboard/riverside/inbox",
        "/dashboard/riverside/ideas",
        "/dashboard/riverside/rounds",
        "/dashboard/riverside/rounds/1",
        "/dashboard/riverside/money",
        "/dashboard/riverside/digest",
        "/dashboard/hillside/inbox",
        "/dashboard/valley/",
    ):
        assert officer.get(path).status_code == 404, path


def test_every_form_an_officer_could_send_is_refused(app, officer):
    """Read-only: every POST route of the dashboard answers 403, with a good CSRF token."""
    token = csrf(officer.get("/dashboard/council/").data)
    before = _audit_entries(app)
    values = {"slug": "riverside", "number": "1", "thread_id": "1"}
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not rule.rule.startswith("/dashboard"):
            continue
        if rule.endpoint in ("auth.login", "auth.logout", "auth.login_code") or rule.endpoint.startswith(
            "two_factor."
        ):
            continue  # signing in and out, and the officer's own second factor
        url = re.sub(r"<any\(([^,)]+)[^)]*\):\w+>", lambda m: m[1], rule.rule)
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values.get(m[1], "1"), url)
        posts.append(url)
        response = officer.post(url, data={"csrf_token": token, "once": "x"})
        assert response.status_code == 403, (url, response.status_code)
    assert len(posts) > 15
    assert _audit_entries(app) == before  # nothing changed anywhere


def test_an_officer_can_set_up_its_own_second_factor(officer):
    """Its own account is the one thing an officer changes: a council may want its officers to
    sign in with a code, and every POST of theirs was refused, setting one up included."""
    token = csrf(officer.get("/dashboard/two-factor").data)
    response = officer.post("/dashboard/two-factor/confirm", data={"csrf_token": token, "code": "000000"})
    # refused for its code (a wrong one), not for who sent it (403)
    assert response.status_code == 400 and b'id="confirm-code-error"' in response.data


def test_an_officers_second_factor_is_in_the_trails_of_the_communities_it_reads(app, clock, officer):
    """An officer runs no community, so its two-factor changes went into no audit trail at all:
    each goes into the trail of every community its council follows."""
    from tests.test_two_factor import _enrol

    _enrol(officer, clock)
    with get_db(app).transaction() as session:
        noted = session.execute(
            select(Community.slug, AuditEntry.actor)
            .join(Community, Community.id == AuditEntry.community_id)
            .where(AuditEntry.subject == f"officer {OFFICER}")
            .where(AuditEntry.action == "two-factor sign-in turned on")
        ).all()
    assert sorted(noted) == [("hillside", OFFICER), ("riverside", OFFICER)]


def _audit_entries(app) -> int:
    with get_db(app).transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_community_the_council_stops_following_is_closed_to_its_officers(app, db, clock, officer, borough):
    assert officer.get("/dashboard/council/hillside/").status_code == 200
    with db.transaction() as session:
        council = session.merge(borough)
        remove_community(session, council, by_slug(session, "hillside"), clock())
    assert officer.get("/dashboard/council/hillside/").status_code == 404
    assert "Hillside" not in officer.get("/dashboard/council/").get_data(as_text=True)


def test_no_community_can_take_the_councils_address(make_community):
    with pytest.raises(InvalidInput, match="taken by the dashboard's own pages"):
        make_community(slug="council", join_code="COUNCIL", sms_number="+441632960009")


def test_an_organiser_still_sees_only_their_own_communities(app, client, clock, borough):
    make_organiser(app, clock, email="val@example.org", communities=("valley",))
    sign_in(client, email="val@example.org")
    home = client.get("/dashboard/", follow_redirects=True)
    assert home.request.path == "/dashboard/valley/"
    for path in ("/dashboard/council/", "/dashboard/council/riverside/", "/dashboard/council/valley/money"):
        assert client.get(path).status_code == 404, path
    for path in ("/dashboard/riverside/", "/dashboard/hillside/money"):
        assert client.get(path).status_code == 404, path
    assert client.get("/dashboard/valley/").status_code == 200


def test_an_officer_is_locked_out_as_an_organiser_is(client, borough):
    for _ in range(5):
        assert sign_in(client, email=OFFICER, password="wrong password!").status_code == 401
    refused = sign_in(client, email=OFFICER)
    assert refused.status_code == 401 and "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_signing_out_ends_an_officers_session_everywhere(app, officer):
    copy = app.test_client()
    copy.set_cookie("commonpurse_session", officer.get_cookie("commonpurse_session").value)
    assert copy.get("/dashboard/council/").status_code == 200
    officer.post("/dashboard/logout", data={"csrf_token": csrf(officer.get("/dashboard/council/").data)})
    assert copy.get("/dashboard/council/").status_code == 302


def _crawl(client, start: str) -> dict[str, str]:
    """Every page reachable from `start` by following links (same origin, GET only)."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        with client.get(path, follow_redirects=True) as response:
            assert response.status_code == 200, (path, response.status_code)
            body = response.get_data(as_text=True)
            html = "html" in response.content_type
        seen[path] = body
        if not html:
            continue
        for href in re.findall(r'(?:href|src)="([^"]+)"', body):  # links, not forms' targets
            target = urlsplit(urljoin("http://localhost" + path, href.replace("&amp;", "&")))
            if target.netloc == "localhost" and href.split(":")[0] not in ("mailto", "tel"):
                if target.path == "/dashboard/logout":  # the one form an officer has: signing out
                    continue
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def test_no_page_an_officer_can_reach_shows_a_resident(officer):
    pages = _crawl(officer, "/dashboard/")
    reached = set(pages)
    for slug in ("riverside", "hillside"):
        assert {
            f"/dashboard/council/{slug}/",
            f"/dashboard/council/{slug}/rounds",
            f"/dashboard/council/{slug}/money",
        } <= reached
    assert "/dashboard/council/riverside/rounds/1" in reached
    assert not any("valley" in path for path in reached)
    forbidden = [form for phone in PHONES for form in phone_forms(phone)] + [TELEGRAM_CHAT, *WRITTEN]
    for path, body in pages.items():
        for needle in forbidden:
            assert needle not in body, (path, needle)
        # Read-only: the only forms are signing out and the officer's own second factor.
        forms = re.findall(r"<form[^>]*>", body)
        own = ('action="/dashboard/logout"', 'action="/dashboard/two-factor')
        assert all(any(action in form for action in own) for form in forms), (path, forms)
        assert body.count("<button") == len(forms), path
    # What the council is there for is on the pages: the round, its result, the money.
    riverside = pages["/dashboard/council/riverside/rounds/1"]
    assert "New benches on the green" in riverside and "Funded" in riverside
    assert "Bench fixings" in pages["/dashboard/council/riverside/money"]


def test_adding_a_community_to_a_council_is_in_its_audit_trail(db, borough):
    with db.transaction() as session:
        actions = [
            (e.subject, e.action)
            for e in session.query(AuditEntry).filter(AuditEntry.subject == "council north-borough")
        ]
    assert ("council north-borough", "community added: its officers read its pages") in actions
    assert ("council north-borough", f"officer {OFFICER} created") in actions


MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the council digest of 2026-W48 is due


@pytest.fixture
def scheduled(app):
    runtime.bind(app, build(app, blocking=False), "test")


def test_the_council_digest_goes_once_a_week_with_a_line_per_community_and_a_csv(
    app, db, clock, borough, smtp, scheduled
):
    clock.current = MONDAY_9AM - timedelta(minutes=1)
    assert jobs.send_due_council_digests() == []  # not due yet
    clock.current = MONDAY_9AM
    assert jobs.send_due_council_digests() == [f"council digest 2026-W48 for council {borough.id}: sent"]
    ((recipients, message),) = smtp.messages
    assert recipients == ["digest@northborough.gov.uk"]
    parsed = message
    assert parsed["Subject"] == "North Borough: weekly digest 2026-W48"
    body = parsed.get_body(("plain",)).get_content()
    assert "Riverside Big Local: 4 members, 3 ideas, latest round Park turnout 50% (2)" in body
    assert "Hillside Together: 1 members, 1 ideas" in body and "Valley" not in body
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "north-borough-2026-W48.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert [r["slug"] for r in rows] == ["hillside", "riverside"]
    riverside = rows[1]
    assert (riverside["members"], riverside["ideas"], riverside["ballots"], riverside["turnout_percent"]) == (
        "4",
        "3",
        "2",
        "50.0",
    )
    assert (
        riverside["spent_pence"] == "25000" and riverside["committed_pence"] == "225000"
    )  # winners + spending
    for needle in [f for phone in PHONES for f in phone_forms(phone)] + [TELEGRAM_CHAT, *WRITTEN]:
        assert needle not in message.as_string(), needle
    # Again, from the timed job, after a restart (a new scheduler), and later in the week: nothing.
    jobs.weekly_council_digest(borough.id)
    runtime.bind(app, build(app, blocking=False), "after a restart")
    clock.current = MONDAY_9AM + timedelta(days=2)
    assert jobs.send_due_council_digests() == []
    assert len(smtp.messages) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CouncilDigest)) == 1
    # The next week's goes the next Monday.
    clock.current = MONDAY_9AM + timedelta(days=7)
    assert jobs.send_due_council_digests() == [f"council digest 2026-W49 for council {borough.id}: sent"]
    assert len(smtp.messages) == 2


def test_a_council_digest_that_could_not_go_is_tried_again_and_goes_once(
    app, db, clock, borough, smtp, scheduled
):
    clock.current = MONDAY_9AM
    app.config["SMTP_PORT"] = _closed_port()
    assert jobs.send_due_council_digests() == [f"council digest 2026-W48 for council {borough.id}: failed"]
    with db.transaction() as session:
        row = session.scalars(select(CouncilDigest)).one()
        assert row.sent_at is None and row.error == "the mail server could not be reached"
    app.config["SMTP_PORT"] = smtp.port
    clock.advance(minutes=5)
    jobs.send_due_council_digests()
    jobs.send_due_council_digests()
    assert len(smtp.messages) == 1


def test_the_scheduler_keeps_a_weekly_job_for_each_council_with_recipients(db, clock, borough):
    with db.transaction() as session:
        ids = {spec.id: spec.func for spec in wanted_jobs(session, clock())}
    assert ids[f"digest-council-{borough.id}"] == "scheduler.jobs:weekly_council_digest"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_cli_creates_a_council_adds_communities_and_an_officer_who_can_sign_in(
    runner, client, make_community
):
    from bot.cli import cli

    make_community()
    make_community(
        name="Hillside Together", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002"
    )

    def cp(*args: str, stdin: str | None = None):
        return runner.invoke(cli, list(args), input=stdin)

    made = cp("council", "create", "North Borough", "--email", "digest@northborough.gov.uk")
    assert made.exit_code == 0, made.output
    assert "Council North Borough created (slug north-borough)" in made.output
    for slug in ("riverside", "hillside"):
        added = cp("council", "add-community", "--council", "north-borough", "--community", slug)
        assert added.output == f"north-borough now follows {slug}.\n"
    again = cp("council", "add-community", "--council", "north-borough", "--community", "hillside")
    assert again.output == "north-borough already followed hillside.\n"
    officer = cp(
        "council", "officer", "create", "--council", "north-borough", "--email", OFFICER, "--name", "Olu",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert officer.exit_code == 0, officer.output
    (listed,) = json.loads(cp("council", "list", "--json").output)
    assert listed["communities"] == ["hillside", "riverside"] and listed["officers"] == [OFFICER]
    assert sign_in(client, email=OFFICER).status_code == 302
    page = client.get("/dashboard/council/").get_data(as_text=True)
    assert "Riverside Big Local" in page and "Hillside Together" in page
    assert OFFICER in cp("council", "officer", "list", "--council", "north-borough").output
    removed = cp("council", "officer", "remove", "--council", "north-borough", "--email", OFFICER)
    assert removed.exit_code == 0, removed.output
    assert client.get("/dashboard/council/").status_code == 302  # signed out: the account is gone


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["council", "create", "South Vale", "--email", "not-an-email"],
            "'not-an-email' is not an email address",
        ),
        (["council", "create", "!! ??"], "needs at least two letters or digits"),
        (
            ["council", "add-community", "--council", "nowhere", "--community", "riverside"],
            "no council 'nowhere'",
        ),
        (["council", "add-community", "--council", "north-borough", "--community", "nope"], "no community"),
        (
            ["council", "officer", "create", "--council", "nowhere", "--email", "a@b.org", "--name", "A"],
            "no council",
        ),
        (["council", "officer", "remove", "--council", "north-borough", "--email", "x@y.org"], "no officer"),
        (["council", "create", "North Borough"], "already exists"),
    ],
)
def test_bad_council_commands_say_what_is_wrong_in_one_line(runner, community, args, message):
    from bot.cli import cli

    assert runner.invoke(cli, ["council", "create", "North Borough"]).exit_code == 0
    result = runner.invoke(cli, args, input=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1, result.output


def test_the_api_creates_a_council_follows_a_community_and_gives_it_an_officer(api, cp, client):
    """Sam runs Riverside (not Elsewhere): they may add Riverside, not Elsewhere, and give
    officers to a council whose every community they run. The officer's token reads the
    council's lines and changes nothing."""
    status, made = api("post", "/councils", {"name": "North Borough", "emails": ["d@nb.gov.uk"]})
    assert status == 201 and made["slug"] == "north-borough" and made["communities"] == []
    assert api("post", "/councils", {"name": "North Borough"})[0] == 422
    assert api("post", "/councils", {"name": 7})[0] == 422
    assert api("post", "/councils", {"name": "Z Council", "digest_weekday": 9})[0] == 422
    assert api("post", "/councils/north-borough/communities", {"community": "elsewhere"})[0] == 404
    assert api("post", "/councils/nowhere/communities", {"community": "riverside"})[0] == 404
    status, followed = api("post", "/councils/north-borough/communities", {"community": "riverside"})
    assert status == 201 and followed["communities"] == ["riverside"]
    assert api("post", "/councils/north-borough/communities", {"community": "riverside"})[0] == 200
    officer = {"email": OFFICER, "name": "Olu", "password": PASSWORD}
    with mock.patch("bot.domain.organisers.generate_password_hash", quick_hash):
        status, created = api("post", "/councils/north-borough/officers", officer)
    assert status == 201 and created["email"] == OFFICER
    assert api("post", "/councils/north-borough/officers", {**officer, "password": "short"})[0] == 422
    status, shown = api("get", "/councils/north-borough")
    assert status == 200 and shown["officers"] == [OFFICER] and "lines" not in shown
    # Elsewhere joins through the CLI: Sam does not run it, so can give the council no more officers.
    cp("council", "add-community", "--council", "north-borough", "--community", "elsewhere")
    refused = api("post", "/councils/north-borough/officers", {**officer, "email": "x@nb.gov.uk"})
    assert refused[0] == 403
    # The officer's own token: its council's lines, and no write, no community route.
    token = cp("token", "create", "--email", OFFICER, "--name", "laptop").output.strip()
    as_officer = {"Authorization": f"Bearer {token}"}
    status, own = api("get", "/councils/north-borough", headers=as_officer)
    assert status == 200 and [line["slug"] for line in own["lines"]] == ["elsewhere", "riverside"]
    assert api("get", "/councils", headers=as_officer)[1]["councils"][0]["slug"] == "north-borough"
    assert api("post", "/councils", {"name": "Mine"}, headers=as_officer)[0] == 403
    assert api("get", "/communities", headers=as_officer)[1] == {"communities": []}
    assert api("get", "/communities/riverside/ideas", headers=as_officer)[0] == 404
    assert api("get", "/communities/riverside/budget", headers=as_officer)[0] == 404


@pytest.mark.browser
def test_an_officer_in_a_browser_reads_the_council_and_axe_finds_nothing(chromium, live_app, page, borough):
    """The officer's journey, in Chromium: sign in, the council's communities, one community's
    overview and round. The screenshots are the README's (docs/council-*.png). axe-core, with
    the CSP lifted for it alone as in tests/test_accessibility.py, finds no violation."""
    from tests.browser import axe_violations, screenshot

    page.goto("/dashboard/login")
    page.get_by_label("Email").fill(OFFICER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/dashboard/council/")
    assert page.get_by_role("heading", level=1).inner_text() == "North Borough"
    screenshot(page, "council-home")
    page.get_by_role("link", name="Riverside Big Local").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Riverside Big Local"
    assert page.locator("main form, main button").count() == 0  # nothing to act on
    screenshot(page, "council-community")
    page.get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name="Park").click()
    assert "Funded" in page.inner_text("main")
    screenshot(page, "council-round")

    context = chromium.new_context(
        base_url=live_app, viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    lenient = context.new_page()
    lenient.goto("/dashboard/login")
    lenient.get_by_label("Email").fill(OFFICER)
    lenient.get_by_label("Password").fill(PASSWORD)
    lenient.get_by_role("button", name="Sign in").click()
    found = []
    for path in (
        "/dashboard/council/",
        "/dashboard/council/riverside/",
        "/dashboard/council/riverside/rounds",
        "/dashboard/council/riverside/rounds/1",
        "/dashboard/council/riverside/money",
        "/dashboard/council/valley/",
    ):
        lenient.goto(path)
        found += axe_violations(lenient, path)
    context.close()
    assert found == []


def test_the_council_digest_command_shows_the_lines_and_sends_a_week_once(runner, clock, borough, smtp):
    from bot.cli import cli

    shown = runner.invoke(cli, ["council", "digest", "--council", "north-borough"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        "Hillside Together: 1 members, 1 ideas, turnout -, 0 referrals waiting",
        "Riverside Big Local: 4 members, 3 ideas, turnout 50%, 0 referrals waiting",
    ]
    clock.current = MONDAY_9AM - timedelta(hours=1)  # before its slot: sent by hand, still once
    args = ["council", "digest", "--council", "north-borough", "--week", "2026-W48", "--send"]
    assert runner.invoke(cli, args).output == "Council digest 2026-W48 for north-borough: sent.\n"
    assert runner.invoke(cli, args).output == "Council digest 2026-W48 for north-borough: already sent.\n"
    assert len(smtp.messages) == 1
    early = runner.invoke(cli, [*args[:-3], "--week", "2026-W49", "--send"])
    assert early.exit_code == 2 and "has not ended yet" in early.output


def test_referrals_waiting_for_a_service_are_in_the_councils_line_page_and_digest(
    app, db, clock, borough, officer, smtp, scheduled
):
    """A council is the one that answers referrals: its officers see how many wait, and for how
    long, on the landing page, on the community's Referrals page and in the weekly digest."""
    from bot.domain import referrals
    from bot.domain.council_services import add_service

    with db.transaction() as session, audit.acting_as("cli"):
        riverside = by_slug(session, "riverside")
        author = member_of(session, riverside, PHONES[2], clock())
        idea = submit_idea(session, riverside, author, "Fix the streetlight on Elm Road", clock())
        add_service(session, riverside, "Highways", "highways@northborough.gov.uk")
        referrals.refer(session, riverside, idea.number, "Highways", clock())
    home = officer.get("/dashboard/council/").get_data(as_text=True)
    assert re.search(r'id="community-riverside".*?<td>1 \(oldest \d+ days?\)</td>', home, re.S)
    page = officer.get("/dashboard/council/riverside/referrals").get_data(as_text=True)
    assert "Fix the streetlight on Elm Road" in page and "Highways" in page
    assert "Waiting for an answer" in page
    clock.current = MONDAY_9AM
    jobs.send_due_council_digests()
    ((_, message),) = smtp.messages
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(next(message.iter_attachments()).get_content()))}
    assert rows["riverside"]["referrals_waiting"] == "1" and rows["hillside"]["referrals_waiting"] == "0"
    assert "referrals waiting for a service: 1 (oldest" in message.get_body(("plain",)).get_content()
