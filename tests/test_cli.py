"""The organiser CLI: communities, ideas and the budget ledger; one-line errors, exit code 2."""

import json

import click
import pytest
from sqlalchemy import select

from models import Community

CREATE = [
    "community",
    "create",
    "--name",
    "Riverside Big Local",
    "--slug",
    "riverside",
    "--budget",
    "£1,150,000",
    "--join-code",
    "river1",
    "--sms-number",
    "01632 960001",
]


def test_create_and_list_communities(cp, db):
    result = cp(*CREATE)
    assert result.exit_code == 0, result.output
    assert "Created community riverside" in result.output and "£1,150,000" in result.output
    listing = cp("community", "list")
    assert "riverside" in listing.output and "+441632960001" in listing.output
    (row,) = json.loads(cp("community", "list", "--json").output)
    assert row == {
        "slug": "riverside",
        "name": "Riverside Big Local",
        "join_code": "RIVER1",
        "sms_number": "+441632960001",
        "timezone": "Europe/London",
        "languages": ["en"],
        "currency": "GBP",
        "budget_total_pence": 115_000_000,
        "budget": "£1,150,000",
        "verification": "none",
        "postcode_areas": [],
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "created_at": row["created_at"],
    }


def test_create_with_postcode_verification(cp, db):
    result = cp(*CREATE, "--verification", "postcode", "--postcode-area", "e1", "--postcode-area", "E2 7")
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        community = session.scalars(select(Community)).one()
    assert (community.verification, community.postcode_areas) == ("postcode", ["E1", "E2 7"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--budget": "lots"}, "'lots' is not an amount of money"),
        ({"--slug": "Bad Slug"}, "slug must be"),
        ({"--join-code": "x"}, "join code must be"),
        ({"--sms-number": "12"}, "is not a phone number"),
        ({"--verification": "postcode"}, "needs at least one postcode area"),
        ({"--verification": "magic"}, "'magic' is not one of"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(cp, db, change, message):
    args = CREATE + ["--verification", "none"]
    for option, value in change.items():
        args[args.index(option) + 1] = value
    result = cp(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert json.loads(cp("community", "list", "--json").output) == []


@pytest.mark.parametrize("verification", ["none", "phone"])
def test_postcode_areas_without_postcode_verification_are_refused(cp, verification):
    """They would check nobody: an organiser who gave them meant residents to be checked."""
    result = cp(*CREATE, "--verification", verification, "--postcode-area", "E1")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "postcode areas are checked only with postcode verification" in result.output
    assert json.loads(cp("community", "list", "--json").output) == []


def test_a_duplicate_community_is_refused(cp):
    cp(*CREATE)
    result = cp(*CREATE)
    assert result.exit_code == 2 and "slug already used by community riverside" in result.output


def test_an_unknown_community_is_one_line(cp):
    result = cp("ideas", "list", "--community", "nowhere")
    assert result.exit_code == 2
    assert result.output.strip() == "commonpurse: error: no community with slug 'nowhere'"


def test_a_missing_option_is_one_line(cp):
    result = cp("budget", "show")
    assert result.exit_code == 2
    assert result.output.strip() == "commonpurse: error: Missing option '--community'."


@pytest.mark.parametrize(
    "number, message",
    [
        ("0", "0 is too small: give a number of at least 1"),
        ("99999999999999999999", "99999999999999999999 is too large: no number here goes that high"),
    ],
)
def test_a_number_out_of_range_is_refused_in_an_organisers_words(cp, community, number, message):
    """Issue 24: "0 is not a number from 1 to 9223372036854775807" said the limit of a column."""
    result = cp("ideas", "shortlist", "--community", "riverside", number)
    assert result.exit_code == 2 and message in result.output
    assert "9223372036854775807" not in result.output


def test_ideas_list_filters_by_status(cp, member, db):
    member.say("IDEA more benches")
    member.say("£2k")
    member.say("IDEA a mural")
    member.say("skip")
    rows = json.loads(cp("ideas", "list", "--community", "riverside", "--json").output)
    assert [(r["number"], r["text"], r["cost_pence"], r["cost"], r["status"]) for r in rows] == [
        (2, "a mural", None, None, "submitted"),
        (1, "more benches", 200_000, "£2,000", "submitted"),
    ]
    assert all(
        set(r)
        == {
            "number",
            "text",
            "cost_pence",
            "cost",
            "status",
            "reject_reason",
            "anonymous",
            "created_at",
            "duplicates",
        }
        for r in rows
    )
    assert (
        json.loads(cp("ideas", "list", "--community", "riverside", "--status", "funded", "--json").output)
        == []
    )
    table = cp("ideas", "list", "--community", "riverside").output
    assert "more benches" in table and "£2,000" in table
    bad = cp("ideas", "list", "--community", "riverside", "--status", "lost")
    assert bad.exit_code == 2


def test_the_budget_ledger(cp, community, member):
    assert (
        cp(
            "budget",
            "allocate",
            "--community",
            "riverside",
            "--amount",
            "£20k",
            "--title",
            "Community garden",
        ).exit_code
        == 0
    )
    spent = cp(
        "budget",
        "spend",
        "--community",
        "riverside",
        "--amount",
        "3,250",
        "--description",
        "Tools and seeds",
        "--allocation",
        "1",
        "--date",
        "2026-11-20",
    )
    assert spent.exit_code == 0, spent.output
    assert (
        cp("budget", "update", "--community", "riverside", "--text", "The garden opens on Saturday").exit_code
        == 0
    )
    shown = json.loads(cp("budget", "show", "--community", "riverside", "--json").output)
    assert (
        shown["total_pence"],
        shown["committed_pence"],
        shown["spent_pence"],
        shown["remaining_pence"],
    ) == (115_000_000, 2_000_000, 325_000, 113_000_000)
    assert shown["latest_update"]["text"] == "The garden opens on Saturday."  # a full stop added
    assert shown["spending"][0] == {
        "id": 1,
        "number": 1,
        "description": "Tools and seeds",
        "amount_pence": 325_000,
        "allocation_id": 1,
        "allocation": 1,
        "spent_on": "2026-11-20",
        "over_allocation": False,
        "voided_by": None,
    }
    text = cp("budget", "show", "--community", "riverside").output
    assert "Still to decide:  £1,130,000" in text
    reply = member.reply("BUDGET")  # residents see the same ledger
    assert "Committed to projects: £20,000" in reply and "The garden opens on Saturday" in reply


@pytest.mark.parametrize(
    "args, message",
    [
        (["allocate", "--amount", "£2m", "--title", "Too much"], "only £1,150,000 is left to allocate"),
        (["allocate", "--amount", "£2k", "--title", "X", "--idea", "9"], "no idea #9 in riverside"),
        (["spend", "--amount", "£5", "--description", "X", "--allocation", "7"], "no allocation 7"),
        (["spend", "--amount", "£5", "--description", "X", "--date", "yesterday"], "is not a date"),
        (["spend", "--amount", "0", "--description", "X"], "is not an amount of money"),
        (["update", "--text", "   "], "needs some text"),
    ],
)
def test_ledger_refuses_bad_entries(cp, community, args, message):
    result = cp("budget", args[0], "--community", "riverside", *args[1:])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    shown = json.loads(cp("budget", "show", "--community", "riverside", "--json").output)
    assert shown["allocations"] == [] and shown["spending"] == []


def test_db_upgrade_is_safe_to_repeat(cp):
    assert cp("db", "upgrade").exit_code == 0
    assert "up to date" in cp("db", "upgrade").output


def _groups(group, path=()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _groups(command, (*path, name))


def test_every_command_is_summed_up_in_a_line_that_is_not_cut(cp):
    """`--help` lists each command with a summary; one cut off with "..." told the organiser
    half of what it does ("Close voting now: count, fund the winners, send the results...")."""
    from bot.cli import cli

    cut = []
    for path, _ in _groups(cli):
        shown = cp(*path, "--help").output
        listing = shown.split("Commands:")[1]
        cut += [" ".join((*path, line.split()[0])) for line in listing.splitlines() if line.endswith("...")]
    assert cut == []
