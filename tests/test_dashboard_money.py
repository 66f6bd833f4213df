"""The Money page: totals, allocations, spending and corrections made through the ledger as the
CLI makes them (seen by `budget show --json`); over-budget spending only when ticked; budget
updates counted in SMS segments (on the server, and live by a script that must agree) and
broadcast only after a confirmation, once to each member."""

import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.text.organiser_text import plain
from channels.segments import count_segments
from models import BudgetUpdate, OutboxMessage
from tests.dashboard_helpers import csrf, make_organiser, post, sign_in

MONEY = "/dashboard/riverside/money"
SEGMENTS_JS = Path(__file__).parent.parent / "bot/web/dashboard/static/segments.js"


@pytest.fixture
def organiser(app, clock, community, make_community):
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    make_organiser(app, clock)


@pytest.fixture
def signed_in(client, organiser):
    sign_in(client)
    return client


def _shown(cp) -> dict:
    result = cp("budget", "show", "--community", "riverside", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _send(client, action: str, **fields):
    return post(client, f"{MONEY}/{action}", page=MONEY, **fields)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _queued(db) -> list[tuple[int, str]]:
    with db.transaction() as session:
        return list(
            session.execute(
                select(OutboxMessage.resident_id, OutboxMessage.body)
                .where(OutboxMessage.status == "queued")
                .order_by(OutboxMessage.id)
            )
        )


def _updates(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(BudgetUpdate))


def _refused(response, message: str) -> str:
    page = _text(response)
    assert response.status_code == 422, page
    assert message in page
    return page


ACTIONS = ["allocate", "spend", "void", "close", "update"]


# Guarded like every dashboard page.


@pytest.mark.parametrize("path", [MONEY] + [f"{MONEY}/{a}" for a in ACTIONS])
def test_every_route_needs_a_sign_in(client, organiser, cp, path):
    token = csrf(client.get("/dashboard/login").data)
    response = (
        client.get(path)
        if path == MONEY
        else client.post(path, data={"csrf_token": token, "title": "Garden", "amount": "£1k"})
    )
    assert response.status_code == 302 and "/dashboard/login" in response.location
    assert _shown(cp)["allocations"] == []


@pytest.mark.parametrize("path", [MONEY] + [f"{MONEY}/{a}" for a in ACTIONS])
def test_another_communitys_money_is_404(signed_in, cp, path):
    token = csrf(signed_in.get(MONEY).data)
    for slug in ("hillside", "nowhere"):
        other = path.replace("riverside", slug)
        form = {"csrf_token": token, "title": "Garden", "amount": "£1k"}
        response = signed_in.get(other) if path == MONEY else signed_in.post(other, data=form)
        assert response.status_code == 404
    mine = (
        signed_in.get(path)
        if path == MONEY
        else signed_in.post(path, data={"csrf_token": token, "title": "Garden", "amount": "£1k"})
    )
    assert mine.status_code in (200, 302, 303, 422)  # their own community's page answers


@pytest.mark.parametrize("action", ACTIONS)
def test_a_post_without_its_csrf_token_is_refused(signed_in, cp, db, action):
    fields = {"title": "Garden", "amount": "£1k", "description": "Shed", "text": "News", "step": "post"}
    response = signed_in.post(f"{MONEY}/{action}", data=fields)
    assert response.status_code == 400
    shown = _shown(cp)
    assert shown["allocations"] == shown["spending"] == [] and shown["latest_update"] is None
    token = csrf(signed_in.get(MONEY).data)
    assert signed_in.post(f"{MONEY}/{action}", data={**fields, "csrf_token": token}).status_code in (
        302,
        303,
        422,
    )  # with its token the form is taken (and answered)


# The ledger.


def test_the_page_shows_totals_allocations_spending_and_corrections(signed_in, cp, member):
    cp("budget", "allocate", "--community", "riverside", "--amount", "£20k", "--title", "Garden")
    cp(
        "budget",
        "spend",
        "--community",
        "riverside",
        "--amount",
        "£3,250",
        "--description",
        "Shed",
        "--allocation",
        "1",
    )
    response = signed_in.get(MONEY)
    page = _text(response)
    assert response.status_code == 200
    for figure in ("£1,150,000", "£20,000", "£3,250", "£1,130,000"):
        assert figure in page
    assert "Garden" in page and "Shed" in page and "26 Nov 2026" in page
    assert "+44" not in page and "7700900123" not in page
    assert f'href="{MONEY}"' in signed_in.get("/dashboard/riverside/").get_data(as_text=True)


def test_allocating_is_seen_by_budget_show(signed_in, cp, member):
    member.say("IDEA a community garden")
    member.say("£20k")
    response = _send(signed_in, "allocate", title="Community garden", amount="£20,000", idea="1")
    assert response.status_code in (302, 303) and response.location.endswith(MONEY)
    [allocation] = _shown(cp)["allocations"]
    assert (allocation["number"], allocation["title"], allocation["amount_pence"]) == (
        1,
        "Community garden",
        2_000_000,
    )
    assert "Allocation 1: £20,000 to Community garden. Still to decide: £1,130,000." in _text(
        signed_in.get(MONEY)
    )


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (
            {"title": "Garden", "amount": "lots"},
            "amount",
            "'lots' is not an amount of money from 1p to £100,000,000 (try 2500, £2,500 or £2.5k)",
        ),
        ({"title": "Garden", "amount": "£2m"}, "amount", "only £1,150,000 is left to allocate"),
        ({"title": "  ", "amount": "£1k"}, "title", "an allocation needs a title"),
        ({"title": "Garden", "amount": "£1k", "idea": "7"}, "idea", "no idea #7 in riverside"),
        ({"title": "Garden", "amount": "£1k", "idea": "x"}, "idea", "'x' is not a whole number"),
        ({"title": "Gar\x00den", "amount": "£1k"}, "title", "title must not contain NUL characters"),
    ],
)
def test_a_bad_allocation_is_refused_beside_its_field_with_what_was_typed(
    signed_in, cp, fields, field, message
):
    page = _refused(_send(signed_in, "allocate", **fields), message)
    assert f'<p class="error" role="alert" id="allocate-{field}-error">{message}' in page
    assert f'aria-invalid="true" aria-describedby="allocate-{field}-error"' in page
    if "\x00" not in fields["title"]:
        assert f'value="{fields["amount"]}"' in page and f'value="{fields["title"]}"' in page
    assert _shown(cp)["allocations"] == []


def test_spending_beyond_what_is_left_needs_the_box_ticked(signed_in, cp):
    _send(signed_in, "allocate", title="Garden", amount="£20k")
    typed = {"description": "Shed", "amount": "£25k", "allocation": "1", "spent_on": "2026-11-20"}
    page = _refused(_send(signed_in, "spend", **typed), "only £20,000 is left of allocation 1; tick")
    assert 'value="Shed"' in page and 'value="£25k"' in page and 'value="2026-11-20"' in page
    assert _shown(cp)["spending"] == []
    response = _send(signed_in, "spend", over_allocation="yes", **typed)
    assert response.status_code in (302, 303)
    [entry] = _shown(cp)["spending"]
    assert (entry["amount_pence"], entry["allocation"], entry["over_allocation"], entry["spent_on"]) == (
        2_500_000,
        1,
        True,
        "2026-11-20",
    )
    page = _text(signed_in.get(MONEY))
    assert "Spending 1: £25,000 for Shed. Recorded over allocation, as you said." in page
    assert "over allocation</span>" in page


def test_spending_beyond_the_budget_is_refused_too(signed_in, cp):
    _refused(
        _send(signed_in, "spend", description="Too much", amount="£2m"),
        "only £1,150,000 is left to spend; tick",
    )
    assert _shown(cp)["spending"] == []


def test_spending_dated_after_today_is_refused(signed_in, cp):
    """Counted as spent, a spending dated 2031 showed money gone that was still in the bank."""
    _refused(
        _send(signed_in, "spend", description="Roof", amount="£50", spent_on="2031-01-01"),
        "2031-01-01 is after today (2026-11-26): record spending once it is paid",
    )
    assert _shown(cp)["spending"] == []
    refused = cp(
        "budget",
        "spend",
        "--community",
        "riverside",
        "--amount",
        "£50",
        "--description",
        "Roof",
        "--date",
        "2026-11-27",
    )
    assert refused.exit_code == 2 and refused.output.count("\n") == 1 and "after today" in refused.output
    assert (
        _send(signed_in, "spend", description="Roof", amount="£50", spent_on="2026-11-26").status_code == 302
    )


def test_spending_is_dated_today_unless_a_date_is_given(signed_in, cp, clock):
    clock.advance(days=1)
    sign_in(signed_in)  # a day on, yesterday's session (8 hours) is over
    assert 'value="2026-11-27"' in signed_in.get(MONEY).get_data(as_text=True)
    assert _send(signed_in, "spend", description="Stamps", amount="£5", spent_on="").status_code == 302
    assert _shown(cp)["spending"][0]["spent_on"] == "2026-11-27"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (
            {"description": "Shed", "amount": "£1k", "spent_on": "31/12/2026"},
            "spent_on",
            "'31/12/2026' is not a date like 2026-11-26",
        ),
        (
            {"description": "Shed", "amount": "£1k", "allocation": "4"},
            "allocation",
            "no allocation 4 in riverside",
        ),
        ({"description": "", "amount": "£1k"}, "description", "spending needs a description"),
        ({"description": "Shed", "amount": ""}, "amount", "'' is not an amount of money"),
        (
            {"description": "Shed", "amount": "£1k", "spent_on": "0001-01-01"},
            "spent_on",
            "0001-01-01 is out of range: give a date between 1970 and 2999",
        ),
    ],
)
def test_bad_spending_is_refused_beside_its_field(signed_in, cp, fields, field, message):
    page = _refused(_send(signed_in, "spend", **fields), message)
    assert f'id="spend-{field}-error"' in page
    assert _shown(cp)["spending"] == []


def test_voiding_a_spending_keeps_both_entries_and_names_the_organiser(signed_in, cp):
    _send(signed_in, "spend", description="Chairs", amount="£120")
    page = _refused(
        _send(signed_in, "void", entry="spending:1", reason=" "), "say why it is void: a reason is required"
    )
    assert '<option value="spending:1" selected>' in page
    response = _send(signed_in, "void", entry="spending:1", reason="typed twice")
    assert response.status_code in (302, 303)
    shown = _shown(cp)
    assert shown["spending"][0]["voided_by"] == 1 and shown["spent_pence"] == 0
    assert shown["corrections"][0] | {"created_at": None} == {
        "number": 1,
        "action": "void",
        "allocation": None,
        "spending": 1,
        "reason": "typed twice",
        "organiser": "sam@example.org",
        "created_at": None,
    }
    page = _text(signed_in.get(MONEY))
    assert "Spending 1 is void (correction 1: typed twice)." in page
    assert 'id="spending-1" class="entry-void"' in page and "void (correction 1)" in page
    assert 'id="correction-1"' in page and "sam@example.org" in page
    assert 'value="spending:1"' not in page  # cannot be voided twice


def test_voiding_an_allocation_with_spending_is_refused_with_the_ledgers_message(signed_in, cp):
    _send(signed_in, "allocate", title="Garden", amount="£20k")
    _send(signed_in, "spend", description="Shed", amount="£5k", allocation="1")
    _refused(
        _send(signed_in, "void", entry="allocation:1", reason="wrong"),
        "allocation 1 has £5,000 spent against it: void that spending first, or close the allocation",
    )
    for tampered in ("allocation:x", "idea:1", ""):
        page = _refused(_send(signed_in, "void", entry=tampered, reason="wrong"), "")
        assert 'id="void-entry-error"' in page
    assert _shown(cp)["corrections"] == []


def test_closing_an_allocation_gives_back_what_was_not_spent(signed_in, cp):
    _send(signed_in, "allocate", title="Garden", amount="£20k")
    _send(signed_in, "spend", description="Shed", amount="£5k", allocation="1")
    response = _send(signed_in, "close", allocation="1", reason="came in under budget")
    assert response.status_code in (302, 303)
    shown = _shown(cp)
    assert shown["allocations"][0]["status"] == "closed"
    assert shown["corrections"][0]["organiser"] == "sam@example.org"
    assert shown["remaining_pence"] == 1_150_000_00 - 5_000_00
    assert "Allocation 1 closed (correction 1): £5,000 spent of £20,000; £15,000 back to decide." in _text(
        signed_in.get(MONEY)
    )
    _refused(_send(signed_in, "close", allocation="1"), "allocation 1 is already closed (correction 1)")
    _refused(_send(signed_in, "close", allocation=""), "'' is not a whole number")


# Budget updates.


@pytest.fixture
def members(member, new_chat):
    other = new_chat(phone="+447700900456")
    other.say("hello")
    other.say("YES")
    return member, other


def test_an_update_without_a_broadcast_is_posted_at_once(signed_in, cp, db, members):
    response = _send(signed_in, "update", text="The garden is \u201cnearly\u201d done.", step="post")
    assert response.status_code in (302, 303)
    assert _shown(cp)["latest_update"]["text"] == 'The garden is "nearly" done.'
    assert _queued(db) == []
    assert "Budget update posted." in _text(signed_in.get(MONEY))


def test_a_broadcast_is_sent_only_after_confirmation_once_to_each_member(signed_in, cp, db, members):
    page = _text(
        _send(signed_in, "update", text="The garden opens on Saturday.", broadcast="yes", step="post")
    )
    assert "This sends one message of 1 segment to 2 members (2 segments). Send?" in page
    assert "Riverside Big Local budget news: The garden opens on Saturday. Send BUDGET" in page
    assert _updates(db) == 0 and _queued(db) == []
    confirm = {
        "csrf_token": csrf(page),
        "text": "The garden opens on Saturday.",
        "broadcast": "yes",
        "latest": "",
        "step": "send",
    }
    response = signed_in.post(f"{MONEY}/update", data=confirm)
    assert response.status_code in (302, 303)
    queued = _queued(db)
    assert len(queued) == 2 and len({resident for resident, _ in queued}) == 2
    assert all("The garden opens on Saturday." in body for _, body in queued)
    assert "Budget update posted. Sent to 2 members." in _text(signed_in.get(MONEY))
    again = signed_in.post(f"{MONEY}/update", data=confirm)  # Confirm pressed twice
    assert again.status_code in (302, 303) and len(_queued(db)) == 2 and _updates(db) == 1
    assert "already posted" in _text(signed_in.get(MONEY))
    for member in members:
        assert member.inbox() == [queued[0][1]]


def test_cancelling_a_broadcast_sends_nothing_and_keeps_the_text(signed_in, db, members):
    page = _text(_send(signed_in, "update", text="Draft news", broadcast="yes", step="post"))
    response = signed_in.post(
        f"{MONEY}/update",
        data={"csrf_token": csrf(page), "text": "Draft news", "broadcast": "yes", "step": "edit"},
    )
    kept = _text(response)
    assert response.status_code == 200 and ">Draft news</textarea>" in kept
    assert 'name="broadcast" type="checkbox" value="yes" checked' in kept
    assert _updates(db) == 0 and _queued(db) == []


@pytest.mark.parametrize(
    "typed, encoding, segments",
    [
        ("The garden is \u201cnearly\u201d done.", "GSM-7", 1),  # quotes made plain, as the CLI does
        ("Caf\u00e9 open \u2615", "UCS-2", 1),
        ("x" * 200, "GSM-7", 2),
    ],
)
def test_a_preview_counts_the_segments_on_the_server(signed_in, db, members, typed, encoding, segments):
    response = _send(signed_in, "update", text=typed, broadcast="yes", step="preview")
    page = _text(response)
    text = plain(typed)
    if not text.endswith("."):
        text += "."  # as residents will read it: it does not run into "Send BUDGET for the figures."
    count = count_segments(text)
    assert response.status_code == 200
    assert (count.encoding, count.segments) == (encoding, segments)
    assert f"Your text: {len(text)} characters, {encoding}, {segments} SMS segment" in page
    assert "Each member gets (" in page and f">{typed}</textarea>" in page
    assert _updates(db) == 0 and _queued(db) == []
    if len(text) > 140:
        assert "Your text does not fit whole" in page


def test_an_empty_update_is_refused_with_the_services_message(signed_in, db):
    for step in ("preview", "post"):
        _refused(
            _send(signed_in, "update", text="  ", broadcast="yes", step=step),
            "a budget update needs some text",
        )
    assert _updates(db) == 0


def test_the_live_counter_is_served_and_loaded(signed_in):
    page = signed_in.get(MONEY).get_data(as_text=True)
    assert 'src="/dashboard/static/segments.js"' in page
    assert 'data-before="Riverside Big Local budget news: "' in page
    with signed_in.get("/dashboard/static/segments.js") as script:
        assert script.status_code == 200 and b"function count(text)" in script.data


SAMPLES = [
    "",
    "Hello",
    "x" * 160,
    "x" * 161,
    "x" * 306,
    "x" * 307,
    "{" * 80,
    "{" * 81,
    "[]" * 76 + "a",
    "\u00e9\u00e8 \u00a3 \u20ac",
    "\u00e7a",
    "\u2615" * 35,
    "\u2615" * 36,
    "a" * 69 + "\U0001f600",
    "z" * 66 + "\U0001f600" + "z" * 10,
    "Ren\u00e9e\u2019s \u201cbig\u201d \u2013 idea\u2026",
    "  two\t\nlines\u00a0here  ",
    "\x85odd\x1fspaces",
    "\u0430\u0431\u0432",
]


def test_the_live_counter_counts_as_the_server_does(chromium):
    """The script, run in real Chromium, agrees with the server on every sample."""
    page = chromium.new_page()
    try:
        page.add_script_tag(content=SEGMENTS_JS.read_text())
        rows = page.evaluate(
            "samples => samples.map(t => [CommonPurseSegments.plain(t), CommonPurseSegments.count(t)])",
            SAMPLES,
        )
    finally:
        page.close()
    for sample, (plained, count) in zip(SAMPLES, rows, strict=True):
        truth = count_segments(sample)
        assert plained == plain(sample), sample
        assert (count["encoding"], count["segments"], count["characters"]) == (
            truth.encoding,
            truth.segments,
            len(sample),
        ), sample


def test_the_date_box_says_the_browser_shows_its_own_format(signed_in):
    """In an American browser the box reads 12/01/2026: the first of December, or 12 January?"""
    page = _text(signed_in.get(MONEY))
    assert 'id="spend-date-hint">Your browser shows dates in its own format (in the US, month first)' in page
    assert 'type="date" value="2026-11-26" aria-describedby="spend-date-hint"' in page
    rounds = _text(signed_in.get("/dashboard/riverside/rounds"))
    assert "Your browser shows dates in its own format" in rounds.split('id="create-tz"')[1].split("</p>")[0]


def test_a_form_sent_again_does_nothing_the_second_time_and_says_so(signed_in, cp):
    """Going back and pressing Allocate again made a second allocation of the same money."""
    page = _text(signed_in.get(MONEY))
    form = page[page.index('action="/dashboard/riverside/money/allocate"') :].split("</form>")[0]
    fields = {
        "csrf_token": csrf(page),
        "once": re.search(r'name="once" value="([^"]+)"', form)[1],
        "title": "Dup test",
        "amount": "£20",
    }
    assert signed_in.post(f"{MONEY}/allocate", data=fields).status_code == 302
    again = signed_in.post(f"{MONEY}/allocate", data=fields)
    assert again.status_code == 422
    assert "this form was already sent (by going back, or a second click): nothing was done again" in _text(
        again
    )
    assert [a["title"] for a in _shown(cp)["allocations"]] == ["Dup test"]
    # The page shown again has a new token: sending it from there works
    fresh = _text(again)
    fresh_form = fresh[fresh.index('action="/dashboard/riverside/money/allocate"') :].split("</form>")[0]
    assert re.search(r'name="once" value="([^"]+)"', fresh_form)[1] != fields["once"]


def test_a_refusal_is_summed_up_at_the_top_with_a_link_to_its_field(signed_in):
    page = _text(_send(signed_in, "spend", description="Roof", amount="lots"))
    summary = page[page.index('id="error-summary"') :].split("</div>")[0]
    assert page.index('id="error-summary"') < page.index("<h1>Money</h1>")  # first thing on the page
    assert '<a href="#spend-amount-error">' in summary and "'lots' is not an amount of money" in summary
    assert 'id="spend-amount-error"' in page  # where the link goes


def test_a_digest_that_did_not_go_is_not_shown_as_good_news(signed_in):
    response = signed_in.post(
        "/dashboard/riverside/digest/send",
        data={"csrf_token": csrf(_text(signed_in.get("/dashboard/riverside/digest"))), "week": "2026-W47"},
    )
    page = _text(signed_in.get(response.location))
    assert '<p class="flash flash-error" role="status">This community has no digest recipients' in page
