"""The budget ledger as organisers and residents meet it: no spending beyond what is left unless
said so, corrections that keep history, closing with an underspend, numbers per community,
64-bit money, and pabulib imports that are checked."""

import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.domain.communities import by_slug
from bot.domain.pabulib import import_pb
from models.engine import make_engine
from models.migrate import upgrade
from tests.conftest import PG_SCHEMA, PG_URL, Chat

RIVERSIDE = ("--community", "riverside")


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _refused(result, message: str) -> None:
    """Exit code 2 and one line, `commonpurse: error: ...` saying `message`."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("commonpurse: error: ") and message in lines[0], lines


def _shown(cp, slug: str = "riverside") -> dict:
    return json.loads(_ok(cp("budget", "show", "--community", slug, "--json")))


@pytest.fixture
def api(cp, client, community, make_community):
    """Call the API as Sam, who runs riverside and elsewhere: api("post", path, body) -> (status, json)."""
    make_community(slug="elsewhere", join_code="ELSEWHERE", sms_number="+441632960008", name="Elsewhere")
    _ok(
        cp(
            "organiser",
            "create",
            "--email",
            "Sam@Example.org",
            "--name",
            "Sam",
            "--community",
            "riverside",
            "--community",
            "elsewhere",
            "--password",
            "a long passphrase",
        )
    )
    token = _ok(cp("token", "create", "--email", "sam@example.org", "--name", "laptop")).strip()

    def call(method: str, path: str, json_body=None):
        response = getattr(client, method)(
            "/api/v1/communities" + path, json=json_body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code < 500, response.data
        return response.status_code, response.get_json()

    return call


# 1. Spending beyond what is left is refused, unless the organiser says so explicitly.


def test_spending_beyond_the_budget_is_refused(cp, member):
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£2m", "--description", "Too much"),
        "only £1,150,000 is left to spend; add --over-allocation to record it anyway",
    )
    assert _shown(cp)["spending"] == []
    assert "Still to decide: £1,150,000" in member.reply("BUDGET")


@pytest.mark.parametrize("day", ["1969-12-31", "3000-01-01"])
def test_a_spending_date_outside_1970_to_2999_is_refused(cp, api, member, day):
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps", "--date", day),
        f"{day} is out of range: give a date between 1970 and 2999",
    )
    status, body = api(
        "post", "/riverside/budget/spending", {"description": "Stamps", "amount_pence": 500, "spent_on": day}
    )
    assert status == 422 and "out of range" in body["error"]["message"]
    assert _shown(cp)["spending"] == []


@pytest.mark.parametrize("words", ["rtl\u202eevil", "\x1b[2J"])
def test_ledger_words_with_control_characters_are_refused(cp, api, member, words):
    """They are shown on the public page, the dashboard and the digest: an override turns the
    text round, an ESC garbles it."""
    _refused(
        cp("budget", "allocate", *RIVERSIDE, "--amount", "£5", "--title", words),
        "an allocation's title has a control character",
    )
    status, body = api("post", "/riverside/budget/allocations", {"title": words, "amount_pence": 500})
    assert status == 422 and "control character" in body["error"]["message"]
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", words),
        "a spending's description has a control character",
    )
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps"))
    _refused(
        cp("budget", "void", *RIVERSIDE, "--spend", "1", "--reason", words),
        "the reason has a control character",
    )
    shown = _shown(cp)
    assert shown["allocations"] == [] and shown["corrections"] == []
    assert [s["description"] for s in shown["spending"]] == ["Stamps"]


def test_an_option_given_twice_is_refused_not_half_done(cp, member):
    """click keeps the last of a repeated option: --spend 1 --spend 2 voided 2 alone."""
    for _ in range(2):
        _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps"))
    _refused(
        cp("budget", "void", *RIVERSIDE, "--spend", "1", "--spend=2", "--reason", "typed twice"),
        "--spend was given twice: give it once",
    )
    assert _shown(cp)["corrections"] == []


def test_spending_beyond_an_allocation_is_refused(cp, community):
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Community garden"))
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£25k", "--description", "Shed", "--allocation", "1"),
        "only £20,000 is left of allocation 1",
    )
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£15k", "--description", "Shed", "--allocation", "1"))
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£6k", "--description", "Paint", "--allocation", "1"),
        "only £5,000 is left of allocation 1",
    )
    assert _shown(cp)["spent_pence"] == 1_500_000


def test_over_allocation_is_recorded_when_the_organiser_says_so(cp, member):
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Community garden"))
    said = _ok(
        cp(
            "budget",
            "spend",
            *RIVERSIDE,
            "--amount",
            "£21k",
            "--description",
            "Shed",
            "--allocation",
            "1",
            "--over-allocation",
        )
    )
    assert "Spending 1: £21,000 for Shed. Recorded over allocation" in said
    _ok(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps", "--over-allocation")
    )  # within what is left: nothing to mark
    shown = _shown(cp)
    assert [s["over_allocation"] for s in shown["spending"]] == [True, False]
    assert (shown["committed_pence"], shown["remaining_pence"]) == (2_100_500, 112_899_500)
    assert "Spending 1: £21,000  Shed (2026-11-26, allocation 1, over allocation)" in _ok(
        cp("budget", "show", *RIVERSIDE)
    )
    _ok(
        cp(
            "budget",
            "spend",
            *RIVERSIDE,
            "--amount",
            "£1.2m",
            "--description",
            "Overrun",
            "--over-allocation",
        )
    )
    reply = member.reply("BUDGET")  # residents never see a negative amount left to decide
    assert "Committed to projects: £1,221,005" in reply and "Still to decide: £0" in reply


def test_the_api_refuses_overspending_unless_told(api):
    status, body = api(
        "post", "/riverside/budget/spending", {"description": "Hall", "amount_pence": 200_000_000}
    )
    assert status == 422 and body["error"]["code"] == "invalid"
    assert body["error"]["message"] == (
        "only £1,150,000 is left to spend; send over_allocation: true to record it anyway"
    )
    status, body = api(
        "post", "/riverside/budget/allocations", {"title": "Garden", "amount_pence": 2_000_000}
    )
    status, body = api(
        "post",
        "/riverside/budget/spending",
        {"description": "Shed", "amount_pence": 2_500_000, "allocation": 1},
    )
    assert status == 422 and "only £20,000 is left of allocation 1" in body["error"]["message"]
    status, body = api(
        "post",
        "/riverside/budget/spending",
        {"description": "Shed", "amount_pence": 2_500_000, "allocation": 1, "over_allocation": True},
    )
    assert (status, body["number"], body["over_allocation"]) == (201, 1, True)
    assert body["budget"]["spending"][0]["over_allocation"] is True


# 2. Corrections keep history.


def test_voiding_a_spending_keeps_it_on_record(cp, member, monkeypatch):
    for _ in range(2):
        _ok(
            cp(
                "budget",
                "spend",
                *RIVERSIDE,
                "--amount",
                "£3,250",
                "--description",
                "Tools",
                "--date",
                "2026-11-20",
            )
        )
    said = _ok(
        cp("budget", "void", *RIVERSIDE, "--spend", "2", "--reason", "typed twice", "--as", "Sam@Example.org")
    )
    assert said.strip() == (
        "Spending 2 is void (correction 1: typed twice). Spent: £3,250. Still to decide: £1,146,750."
    )
    shown = _shown(cp)
    assert (shown["spent_pence"], shown["committed_pence"]) == (325_000, 325_000)
    assert [(s["number"], s["amount_pence"], s["voided_by"]) for s in shown["spending"]] == [
        (1, 325_000, None),
        (2, 325_000, 1),
    ]
    assert shown["corrections"] == [
        {
            "number": 1,
            "action": "void",
            "allocation": None,
            "spending": 2,
            "reason": "typed twice",
            "organiser": "sam@example.org",
            "created_at": "2026-11-26T10:00:00+00:00",
        }
    ]
    assert "Spent so far: £3,250" in member.reply("BUDGET")
    _refused(
        cp("budget", "void", *RIVERSIDE, "--spend", "2", "--reason", "again"),
        "spending 2 is already void (correction 1)",
    )
    monkeypatch.setenv("COMMONPURSE_ORGANISER", "kim@example.org")
    _ok(cp("budget", "void", *RIVERSIDE, "--spend", "1", "--reason", "refunded"))
    monkeypatch.delenv("COMMONPURSE_ORGANISER")
    assert _shown(cp)["corrections"][1]["organiser"] == "kim@example.org"
    text = _ok(cp("budget", "show", *RIVERSIDE))
    assert "Spending 2: £3,250  Tools (2026-11-20, void: correction 1)" in text
    assert "Correction 1: void spending 2: typed twice (2026-11-26 10:00 UTC, by sam@example.org)" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--spend", "1"], "Missing option '--reason'"),
        (["--reason", "x"], "give either --spend N or --allocation N"),
        (["--spend", "1", "--allocation", "1", "--reason", "x"], "give either --spend N or --allocation N"),
        (["--spend", "9", "--reason", "x"], "no spending 9 in riverside"),
        (["--spend", "1", "--reason", "   "], "a reason is required"),
        (["--spend", "1", "--reason", "x", "--as", "sam"], "'sam' is not an organiser's email address"),
    ],
)
def test_void_refuses_bad_input(cp, community, args, message):
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps"))
    _refused(cp("budget", "void", *RIVERSIDE, *args), message)
    assert _shown(cp)["corrections"] == []


def test_voiding_an_allocation_releases_it(cp, community):
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Garden"))
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£30k", "--title", "Garden (typo)"))
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£100", "--description", "Seeds", "--allocation", "1"))
    _refused(
        cp("budget", "void", *RIVERSIDE, "--allocation", "1", "--reason", "x"),
        "allocation 1 has £100 spent against it: void that spending first, or close the allocation",
    )
    said = _ok(cp("budget", "void", *RIVERSIDE, "--allocation", "2", "--reason", "typed 30 for 20"))
    assert "Allocation 2 is void (correction 1: typed 30 for 20)" in said and "£1,130,000" in said
    shown = _shown(cp)
    assert shown["committed_pence"] == 2_000_000
    assert [
        (a["number"], a["status"], a["voided_by"], a["committed_pence"]) for a in shown["allocations"]
    ] == [(1, "open", None, 2_000_000), (2, "void", 1, 0)]
    _refused(
        cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "X", "--allocation", "2"),
        "allocation 2 is void (correction 1)",
    )
    _refused(
        cp("budget", "void", *RIVERSIDE, "--allocation", "2", "--reason", "x"),
        "allocation 2 is already void (correction 1)",
    )


def test_corrections_through_the_api(api):
    api("post", "/riverside/budget/allocations", {"title": "Garden", "amount_pence": 2_000_000})
    api(
        "post",
        "/riverside/budget/spending",
        {"description": "Tools", "amount_pence": 50_000, "allocation": 1},
    )
    status, body = api("post", "/riverside/budget/spending/1/void", {"reason": "wrong invoice"})
    assert (status, body["correction"], body["budget"]["spent_pence"]) == (201, 1, 0)
    assert body["budget"]["corrections"][0]["organiser"] == "sam@example.org"
    status, body = api("post", "/riverside/budget/spending/1/void", {"reason": "again"})
    assert status == 422 and "already void" in body["error"]["message"]
    assert api("post", "/riverside/budget/spending/9/void", {"reason": "x"})[0] == 404
    status, body = api("post", "/riverside/budget/allocations/1/void", {})
    assert status == 422 and body["error"]["message"] == "reason is required"
    status, body = api("post", "/riverside/budget/allocations/1/void", {"reason": "not needed"})
    assert (status, body["budget"]["allocations"][0]["status"]) == (201, "void")
    assert body["budget"]["remaining_pence"] == 115_000_000


# 3. Closing an allocation with an underspend.


def test_closing_an_allocation_returns_the_underspend(cp, member):
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Garden"))
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£12k", "--description", "Shed", "--allocation", "1"))
    said = _ok(
        cp(
            "budget",
            "close",
            *RIVERSIDE,
            "--allocation",
            "1",
            "--reason",
            "came in under",
            "--as",
            "sam@example.org",
        )
    )
    assert said.strip() == (
        "Allocation 1 closed (correction 1): £12,000 spent of £20,000; £8,000 back "
        "to decide. Still to decide: £1,138,000."
    )
    shown = _shown(cp)
    assert (shown["committed_pence"], shown["remaining_pence"]) == (1_200_000, 113_800_000)
    assert (shown["allocations"][0]["status"], shown["allocations"][0]["closed_by"]) == ("closed", 1)
    assert shown["corrections"][0]["action"] == "close"
    assert "Still to decide: £1,138,000" in member.reply("BUDGET")
    _refused(cp("budget", "close", *RIVERSIDE, "--allocation", "1"), "allocation 1 is already closed")
    _refused(
        cp(
            "budget",
            "spend",
            *RIVERSIDE,
            "--amount",
            "£5",
            "--description",
            "Late invoice",
            "--allocation",
            "1",
        ),
        "allocation 1 is closed: nothing is left of it",
    )
    _ok(
        cp(
            "budget",
            "spend",
            *RIVERSIDE,
            "--amount",
            "£5",
            "--description",
            "Late invoice",
            "--allocation",
            "1",
            "--over-allocation",
        )
    )
    assert _shown(cp)["committed_pence"] == 1_200_500


def test_closing_through_the_api(api):
    api("post", "/riverside/budget/allocations", {"title": "Garden", "amount_pence": 2_000_000})
    status, body = api("post", "/riverside/budget/allocations/1/close", {})
    assert status == 201 and body["budget"]["committed_pence"] == 0
    assert body["budget"]["corrections"][0]["reason"] is None
    assert api("post", "/riverside/budget/allocations/2/close", {})[0] == 404


# 4. Numbers per community.


def test_allocations_and_spending_are_numbered_per_community(cp, community, make_community):
    make_community(slug="hillside", join_code="HILLSIDE", sms_number="+441632960009", name="Hillside")
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Garden"))
    _ok(cp("budget", "spend", *RIVERSIDE, "--amount", "£5", "--description", "Stamps"))
    said = _ok(cp("budget", "allocate", "--community", "hillside", "--amount", "£1k", "--title", "Mural"))
    assert said.startswith("Allocation 1: £1,000 to Mural.")
    said = _ok(
        cp(
            "budget",
            "spend",
            "--community",
            "hillside",
            "--amount",
            "£300",
            "--description",
            "Paint",
            "--allocation",
            "1",
        )
    )
    assert said.startswith("Spending 1: £300 for Paint.")
    hillside = _shown(cp, "hillside")
    assert [(a["id"], a["number"], a["spent_pence"]) for a in hillside["allocations"]] == [(2, 1, 30_000)]
    assert [(s["id"], s["number"], s["allocation_id"], s["allocation"]) for s in hillside["spending"]] == [
        (2, 1, 2, 1)
    ]
    assert _shown(cp)["allocations"][0]["spent_pence"] == 0  # riverside's allocation 1 is untouched


def test_the_api_takes_numbers(api):
    api("post", "/riverside/budget/allocations", {"title": "Garden", "amount_pence": 2_000_000})
    status, body = api("post", "/elsewhere/budget/allocations", {"title": "Mural", "amount_pence": 100_000})
    assert (status, body["id"], body["number"]) == (201, 2, 1)
    status, body = api(
        "post",
        "/elsewhere/budget/spending",
        {"description": "Paint", "amount_pence": 30_000, "allocation": 1},
    )
    assert (status, body["number"]) == (201, 1)
    assert body["budget"]["spending"][0]["allocation_id"] == 2
    status, body = api(
        "post", "/elsewhere/budget/spending", {"description": "X", "amount_pence": 1, "allocation_id": 1}
    )  # riverside's, by id
    assert status == 404 and "no allocation 1 in elsewhere" in body["error"]["message"]


# 6. 64-bit money, one limit, and lengths that fit their columns.


def test_amounts_beyond_32_bits(api, cp):
    status, body = api(
        "post", "/riverside/budget/spending", {"description": "Hall", "amount_pence": 3_000_000_000}
    )
    assert status == 422 and "left to spend" in body["error"]["message"]
    status, body = api(
        "post",
        "/riverside/budget/spending",
        {"description": "Hall", "amount_pence": 3_000_000_000, "over_allocation": True},
    )
    assert status == 201 and body["budget"]["spent_pence"] == 3_000_000_000
    status, body = api(
        "post",
        "/riverside/budget/spending",
        {"description": "Hall", "amount_pence": 10**11, "over_allocation": True},
    )
    assert status == 422 and body["error"]["message"] == "the amount must be at most £100,000,000"
    _ok(
        cp(
            "community",
            "create",
            "--name",
            "Big City",
            "--slug",
            "big",
            "--budget",
            "£50m",
            "--join-code",
            "BIGCITY",
            "--sms-number",
            "01632 960099",
        )
    )
    _ok(cp("budget", "allocate", "--community", "big", "--amount", "£30m", "--title", "Library"))
    assert (_shown(cp, "big")["total_pence"], _shown(cp, "big")["committed_pence"]) == (
        5_000_000_000,
        3_000_000_000,
    )


@pytest.mark.parametrize(
    "path, body, message",
    [
        (
            "/riverside/budget/allocations",
            {"title": "x" * 201, "amount_pence": 100},
            "an allocation's title is at most 200 characters (this one has 201)",
        ),
        (
            "/riverside/budget/spending",
            {"description": "x" * 300, "amount_pence": 100},
            "a spending's description is at most 200 characters (this one has 300)",
        ),
    ],
)
def test_long_titles_and_descriptions_are_refused(api, path, body, message):
    status, response = api("post", path, body)
    assert status == 422 and response["error"]["message"] == message


def test_long_titles_are_refused_by_the_cli(cp, community):
    _refused(
        cp("budget", "allocate", *RIVERSIDE, "--amount", "£5", "--title", "x" * 250), "at most 200 characters"
    )


# 7. round import checks the money and uses the file's rule.

PB = """META
key;value
description;Test
num_projects;3
num_votes;3
budget;{budget}
vote_type;approval
{rule}PROJECTS
project_id;cost;name
1;{cost};Benches
2;30;Lights
3;30;Mural
VOTES
voter_id;vote
1;1,2
2;1,2
3;3
"""


@pytest.mark.parametrize(
    "budget, cost, message",
    [
        ("100", "-50", "project 1's cost is negative (-50)"),
        ("-100", "50", "the budget is negative (-100)"),
        ("100", "2000000000", "project 1's cost is more than £100,000,000"),
    ],
)
def test_import_refuses_negative_and_absurd_money(cp, community, tmp_path, budget, cost, message):
    path = tmp_path / "round.pb"
    path.write_text(PB.format(budget=budget, cost=cost, rule=""))
    _refused(cp("round", "import", *RIVERSIDE, str(path)), message)
    assert json.loads(_ok(cp("round", "list", *RIVERSIDE, "--json"))) == []


@pytest.mark.parametrize(
    "meta, rule",
    [
        ("rule;equalshares/add1\n", "equal-shares"),
        ("rule;equalshares\n", "equal-shares"),
        ("rule;greedy\n", "greedy"),
        ("", "greedy"),
    ],
)
def test_import_counts_by_the_files_rule(db, clock, community, meta, rule):
    with db.transaction() as session:
        round_ = import_pb(
            session, by_slug(session, "riverside"), PB.format(budget="60", cost="40", rule=meta), clock()
        )
        assert (round_.rule, round_.outcome["rule"]) == (rule, rule)
        chosen = import_pb(
            session,
            by_slug(session, "riverside"),
            PB.format(budget="60", cost="40", rule=meta),
            clock(),
            rule="greedy",
        )
        assert chosen.rule == "greedy"


# Migration 0006 numbers the entries already there, per community, and keeps their links.


@pytest.fixture
def at_0005(backend, tmp_path):
    """An engine on an empty database migrated only as far as 0005."""
    if backend.name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    else:
        schema = f"{PG_SCHEMA}_0005"
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        admin.dispose()
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = make_engine(url.render_as_string(hide_password=False))
    upgrade(engine, "0005")
    yield engine
    if backend.name != "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


def test_migration_numbers_existing_entries(at_0005):
    with at_0005.begin() as connection:
        for id_, slug in ((1, "a"), (2, "b")):
            connection.execute(
                text(
                    "INSERT INTO community (id, slug, name, join_code, timezone, languages, currency, "
                    "budget_total_pence, verification, postcode_areas, digest_recipients, digest_weekday, "
                    "digest_time, created_at) VALUES (:id, :slug, :slug, :slug, 'Europe/London', '[]', "
                    "'GBP', 100000, 'none', '[]', '[]', 0, '09:00', '2026-11-20 10:00:00')"
                ),
                {"id": id_, "slug": slug},
            )
        connection.execute(
            text(
                "INSERT INTO allocation (id, community_id, title, amount_pence, created_at) VALUES "
                "(1, 1, 'a1', 1000, '2026-11-20'), (2, 2, 'b1', 1000, '2026-11-20'), "
                "(3, 1, 'a2', 1000, '2026-11-20')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO spending (id, community_id, allocation_id, amount_pence, description, spent_on, "
                "created_at) VALUES (1, 2, 2, 10, 'x', '2026-11-20', '2026-11-20'), "
                "(2, 1, 3, 10, 'y', '2026-11-20', '2026-11-20')"
            )
        )
    upgrade(at_0005)
    with at_0005.connect() as connection:
        assert connection.execute(text("SELECT id, number FROM allocation ORDER BY id")).all() == [
            (1, 1),
            (2, 1),
            (3, 2),
        ]
        assert connection.execute(
            text("SELECT id, number, allocation_id, over_allocation FROM spending ORDER BY id")
        ).all() == [(1, 1, 2, False), (2, 1, 3, False)]


def test_a_member_sees_the_ledger_after_corrections(cp, db, clock, community):
    person = Chat(db, clock, "riverside", "+447700900111")
    person.say("hi")
    person.say("YES")
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£20k", "--title", "Garden"))
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£5k", "--title", "Benches"))
    _ok(cp("budget", "void", *RIVERSIDE, "--allocation", "2", "--reason", "duplicate"))
    reply = person.reply("BUDGET")
    assert "Committed to projects: £20,000" in reply and "Still to decide: £1,130,000" in reply


def test_numbers_no_entry_can_have_are_not_found(api, cp):
    for path in (
        "/riverside/budget/spending/3000000000/void",
        "/riverside/budget/allocations/3000000000/close",
    ):
        status, body = api("post", path, {"reason": "x"})
        assert status == 404 and body["error"]["code"] == "not_found"
    status, body = api(
        "post",
        "/riverside/budget/spending",
        {"description": "X", "amount_pence": 5, "allocation_id": 3_000_000_000},
    )
    assert status == 404 and "no allocation 3000000000" in body["error"]["message"]
    _refused(
        cp(
            "budget",
            "spend",
            *RIVERSIDE,
            "--amount",
            "£5",
            "--description",
            "X",
            "--allocation",
            "3000000000",
        ),
        "no allocation 3000000000 in riverside",
    )


def test_budget_totals_agree_with_each_allocations_state(db, clock, community):
    """BUDGET's totals are summed in SQL: they must equal the allocations' own states, whatever
    mix of open, overspent, closed and void allocations and voided spending the books hold."""
    from datetime import date

    from bot.domain import ledger

    now, day = clock(), date(2026, 11, 20)
    with db.transaction() as session:
        riverside = by_slug(session, "riverside")
        for title, amount in (
            ("open", 10_000),
            ("overspent", 5_000),
            ("closed", 8_000),
            ("void", 7_000),
            ("untouched", 3_000),
        ):
            ledger.allocate(session, riverside, title=title, amount_pence=amount, now=now)
        spend = dict(spent_on=day, now=now)
        ledger.spend(session, riverside, description="part", amount_pence=4_000, allocation_number=1, **spend)
        ledger.spend(
            session,
            riverside,
            description="beyond",
            amount_pence=6_500,
            allocation_number=2,
            over_allocation=True,
            **spend,
        )
        ledger.spend(session, riverside, description="some", amount_pence=2_500, allocation_number=3, **spend)
        mistake = ledger.spend(
            session,
            riverside,
            description="typo",
            amount_pence=9_000,
            allocation_number=1,
            over_allocation=True,
            **spend,
        )
        ledger.spend(session, riverside, description="outside", amount_pence=1_200, **spend)
        ledger.void_spending(session, riverside, mistake.number, reason="typo", organiser=None, now=now)
        ledger.close_allocation(session, riverside, 3, reason=None, organiser=None, now=now)
        ledger.void_allocation(session, riverside, 4, reason="dropped", organiser=None, now=now)
        totals = ledger.summary(session, riverside)
        states = ledger.allocation_states(session, riverside)
    assert [s.committed for s in states] == [10_000, 6_500, 2_500, 0, 3_000]
    assert totals.committed == sum(s.committed for s in states) + 1_200
    assert totals.spent == 4_000 + 6_500 + 2_500 + 1_200
    assert totals.remaining == community.budget_total_pence - totals.committed


_PB = PB.format(budget="100", cost="50", rule="")


@pytest.mark.parametrize(
    "text, message",
    [
        ("voter_id,vote\n1,2\n", "not a .pb file: it has no META, PROJECTS or VOTES section"),
        ("", "not a .pb file: it has no META, PROJECTS or VOTES section"),
        (_PB.replace("vote_type;approval\n", ""), "META has no vote_type"),
        (_PB.split("VOTES")[0], "it has no VOTES section"),
        (_PB.replace("budget;100\n", ""), "META has no budget"),
    ],
    ids=["csv", "empty", "no vote_type", "no VOTES", "no budget"],
)
def test_import_names_what_a_file_lacks_in_words(cp, community, tmp_path, text, message):
    """Issue 26 (11): a file that is not .pb got "KeyError: 'vote_type'"."""
    path = tmp_path / "round.pb"
    path.write_text(text)
    result = cp("round", "import", *RIVERSIDE, str(path))
    _refused(result, message)
    assert "KeyError" not in result.output
