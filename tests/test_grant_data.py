"""Open grant data: a community's allocations to funded projects published as 360Giving JSON and
CSV (/c/<slug>/360giving.json and .csv, `commonpurse export 360giving`), valid against the
standard's own published schema (vendored in tests/data/360giving, see tests/data/README.md),
with the ledger's amounts to the penny; nothing until the community sets its prefix."""

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.domain import audit, ledger
from bot.domain.communities import by_slug
from bot.domain.grant_data import CSV_COLUMNS
from bot.text import links
from models.states import AllocationStatus

SCHEMAS = Path(__file__).parent / "data" / "360giving"
SITE = "https://purse.example.org"
RIVERSIDE = ("--community", "riverside")
GRANT_DATA = ("community", "grant-data", *RIVERSIDE)


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def _schemas() -> tuple[dict, dict]:
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    return package, grant


def _validator() -> Draft202012Validator:
    """The package schema, its grants checked against the grant schema from the files here (the
    package refers to the grant schema by its 1.4.2 address: no test reaches the internet)."""
    package, grant = _schemas()
    # Read as draft 2020-12 outright: the standard writes its $schema as http://, which
    # `referencing` does not know as a dialect (the official id is https://).
    resource = Resource(contents=grant, specification=DRAFT202012)
    registry = Registry().with_resources(
        [(grant["$id"], resource), (package["properties"]["grants"]["items"]["$ref"], resource)]
    )
    # Formats asserted, not only annotated: without it "2026-11-26" also passes the date-time
    # branch of awardDate's oneOf, and a date fails for matching twice.
    formats = FormatChecker(formats=())
    formats.checks("date-time")(_rfc3339)
    formats.checks("uri")(lambda value: bool(re.match(r"^[a-z][a-z0-9+.-]*:[^\s]+$", value)))
    return Draft202012Validator(package, registry=registry, format_checker=formats)


def _rfc3339(value: str) -> bool:
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _valid(package: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(package)]
    assert not errors, errors


def _pence(amount: int | float | str) -> int:
    """An amount as the standard writes it, back in pence; refuses a fraction of a penny."""
    pence = Decimal(str(amount)) * 100
    assert pence == pence.to_integral_value(), amount
    return int(pence)


@pytest.fixture
def funded(db, clock, cp, member):
    """Round 1 closed with its three ideas funded (allocations 1-3): £1,000 benches, £2,345.67
    a mural, £800 bulbs. Allocation 1 has £400.50 spent; allocation 2 is closed at £2,000.01
    spent (the rest went back); allocation 4, £300 for a community worker, is for no project;
    allocation 5 is void."""
    for idea, cost in (("IDEA benches", "£1k"), ("IDEA a mural", "£2,345.67"), ("IDEA spring bulbs", "£800")):
        member.say(idea)
        member.say(cost)
    for number in ("1", "2", "3"):
        _ok(cp("ideas", "shortlist", *RIVERSIDE, number))
    _ok(
        cp(
            "round",
            "create",
            *RIVERSIDE,
            "--title",
            "Park",
            "--method",
            "approval",
            "--ideas",
            "1,2,3",
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
        )
    )
    _ok(cp("round", "open", *RIVERSIDE, "1"))
    member.inbox()
    assert "your vote is in" in member.reply("1 2 3")
    _ok(cp("round", "close", *RIVERSIDE, "1"))
    clock.advance(days=3)
    spend = ("budget", "spend", *RIVERSIDE, "--description")
    _ok(cp(*spend, "Two benches", "--amount", "£400.50", "--allocation", "1"))
    _ok(cp(*spend, "The mural", "--amount", "£2,000.01", "--allocation", "2"))
    _ok(cp("budget", "close", *RIVERSIDE, "--allocation", "2", "--reason", "came in under"))
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£300", "--title", "Community worker"))
    _ok(cp("budget", "allocate", *RIVERSIDE, "--amount", "£50", "--title", "Typed twice"))
    _ok(cp("budget", "void", *RIVERSIDE, "--allocation", "5", "--reason", "typed twice"))
    return member


@pytest.fixture
def recipients(cp, funded):
    """Who delivers each project: two registered organisations and an unregistered group."""
    project = ("project", "recipient", *RIVERSIDE)
    _ok(cp(*project, "1", "--name", "Riverside Youth Trust", "--org-id", "GB-CHC-1164883"))
    _ok(cp(*project, "2", "--name", "Friends of the Green"))
    _ok(cp(*project, "3", "--name", "Bulbs & Co Ltd", "--org-id", "GB-COH-01234567"))


@pytest.fixture
def publishing(cp, recipients):
    out = _ok(
        cp(*GRANT_DATA, "--prefix", "360G-riverside", "--funder-id", "GB-CHC-1099999", "--licence", "ogl")
    )
    assert out.strip() == (
        "riverside publishes grant data as 360G-riverside, funded by Riverside Big Local "
        "(GB-CHC-1099999), under OGL."
    )


def _ledger(db) -> dict[int, tuple[int, int]]:
    """Each allocation that counts, by number: (what it commits, what was spent against it)."""
    with db.transaction() as session:
        states = ledger.allocation_states(session, by_slug(session, "riverside"))
        return {
            s.allocation.number: (s.committed, s.spent) for s in states if s.status != AllocationStatus.VOID
        }


def test_three_funded_projects_validate_against_the_standard_with_the_ledgers_amounts(client, db, publishing):
    response = client.get("/c/riverside/360giving.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    package = response.get_json()
    _valid(package)
    grants = package["grants"]
    assert [g["id"] for g in grants] == [f"360G-riverside-riverside-{n}" for n in (1, 2, 3)]
    money = _ledger(db)
    assert money[1] == (1_000_00, 400_50) and money[2] == (2_000_01, 2_000_01) and money[3] == (800_00, 0)
    for grant, number in zip(grants, (1, 2, 3), strict=True):
        assert (_pence(grant["amountAwarded"]), _pence(grant["amountDisbursed"])) == money[number]
        assert grant["currency"] == "GBP"
        assert grant["awardDate"] == "2026-11-26"
        assert grant["fundingOrganization"] == [{"id": "GB-CHC-1099999", "name": "Riverside Big Local"}]
    assert [g["recipientOrganization"] for g in grants] == [
        [{"id": "GB-CHC-1164883", "name": "Riverside Youth Trust"}],
        # No registered number: the publisher's prefix and the name, as the standard says.
        [{"id": "360G-riverside-Friends-of-the-Green", "name": "Friends of the Green"}],
        [{"id": "GB-COH-01234567", "name": "Bulbs & Co Ltd"}],
    ]
    assert [g["title"] for g in grants] == ["benches", "a mural", "spring bulbs"]
    # The text as JSON carries it: exact amounts, no currency symbol, no thousands separator.
    text = response.get_data(as_text=True)
    assert '"amountAwarded": 2000.01' in text and '"amountAwarded": 1000' in text and "£" not in text
    # Every allocation that counts is a grant or left out (the worker, for no project): the
    # grants and the rest add up to what the ledger commits.
    with db.transaction() as session:
        committed = ledger.summary(session, by_slug(session, "riverside")).committed
    assert sum(_pence(g["amountAwarded"]) for g in grants) + money[4][0] == committed
    assert package["license"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert package["publisher"] == {"identifier": "GB-CHC-1099999", "name": "Riverside Big Local"}
    assert package["version"] == "1.4" and package["identifier"] == "360G-riverside-riverside"


def test_the_csv_has_the_standards_column_titles_and_the_ledgers_amounts(client, db, publishing):
    package, grant_schema = _schemas()
    properties, organisation = grant_schema["properties"], grant_schema["$defs"]["Organization"]

    def title(path: tuple[str, ...]) -> str:
        field = properties[path[0]]
        if "$ref" in field:  # currency: its title is in its definition
            field = grant_schema["$defs"][field["$ref"].rsplit("/", 1)[1]]
        if len(path) == 1:
            return field["title"]
        return f"{field['title']}:{organisation['properties'][path[1]]['title']}"

    response = client.get("/c/riverside/360giving.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    expected = [title(path) for _, path in CSV_COLUMNS]
    assert rows[0] == expected
    for required in ("Identifier", "Amount Awarded", "Recipient Org:Identifier", "Funding Org:Name"):
        assert required in rows[0]  # the standard's ten required columns are among them
    sheet = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    money = _ledger(db)
    assert [
        (row["Identifier"], _pence(row["Amount Awarded"]), _pence(row["Amount Disbursed"])) for row in sheet
    ] == [(f"360G-riverside-riverside-{n}", *money[n]) for n in (1, 2, 3)]
    assert sheet[1]["Recipient Org:Name"] == "Friends of the Green"
    assert sheet[0]["Currency"] == "GBP" and sheet[0]["Award Date"] == "2026-11-26"


def test_the_cli_exports_what_the_page_publishes_and_says_what_it_left_out(cp, client, publishing, tmp_path):
    result = cp("export", "360giving", *RIVERSIDE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == client.get("/c/riverside/360giving.json").get_json()
    # The community worker's allocation is for no project: left out, and the organiser told.
    assert result.stderr.strip() == "Left out: allocation 4: it is for no funded project"
    target = tmp_path / "riverside.csv"
    out = cp("export", "360giving", *RIVERSIDE, "--format", "csv", "--to", str(target))
    assert out.exit_code == 0 and out.stdout.strip() == f"Wrote 3 grants to {target}."
    assert target.read_text(encoding="utf-8") == client.get("/c/riverside/360giving.csv").get_data(
        as_text=True
    )
    _valid(json.loads(result.stdout))


def test_nothing_is_published_until_the_community_sets_its_prefix(cp, client, recipients):
    for suffix in ("json", "csv"):
        response = client.get(f"/c/riverside/360giving.{suffix}")
        assert response.status_code == 404
        assert "Riverside Big Local does not publish grant data yet" in response.get_data(as_text=True)
    _refused(cp("export", "360giving", *RIVERSIDE), "riverside does not publish grant data yet")
    assert "360giving.json" not in client.get("/c/riverside").get_data(as_text=True)
    # A prefix alone is not enough: the funder must be named.
    _refused(cp(*GRANT_DATA, "--prefix", "360G-riverside"), "say who gives the grants: --funder-id")
    _refused(cp(*GRANT_DATA, "--prefix", "riverside", "--funder-id", "GB-CHC-1"), "is not a 360Giving prefix")
    _refused(cp(*GRANT_DATA, "--prefix", "360G-r", "--funder-id", "1099999"), "is not an org-id")
    _refused(
        cp(*GRANT_DATA, "--prefix", "360G-r", "--funder-id", "GB-CHC-1", "--licence", "MIT"),
        "use CC-BY or OGL",
    )
    assert _ok(cp(*GRANT_DATA)).strip() == "riverside does not publish grant data."


def test_a_published_community_links_its_data_from_its_page_and_hides_it_with_the_page(
    cp, client, db, clock, publishing, monkeypatch
):
    monkeypatch.setattr(links, "_public_url", SITE)
    page = client.get("/c/riverside").get_data(as_text=True)
    assert 'href="/c/riverside/360giving.json"' in page and 'href="/c/riverside/360giving.csv"' in page
    package = client.get("/c/riverside/360giving.json").get_json()
    assert package["accessURL"] == f"{SITE}/c/riverside"
    assert package["downloadURL"] == f"{SITE}/c/riverside/360giving.json"
    assert {g["url"] for g in package["grants"]} == {f"{SITE}/c/riverside"}
    _valid(package)
    with db.transaction() as session:
        by_slug(session, "riverside").public_page = False
    assert client.get("/c/riverside/360giving.json").status_code == 404
    assert client.get("/c/riverside/360giving.csv").status_code == 404
    _ok(cp(*GRANT_DATA, "--off"))
    _refused(cp("export", "360giving", *RIVERSIDE), "riverside does not publish grant data yet")


def test_a_grant_waits_for_its_recipient_and_the_settings_are_audited(cp, client, db, funded):
    _ok(cp(*GRANT_DATA, "--prefix", "360G-riverside", "--funder-id", "360G-riverside-partnership"))
    response = client.get("/c/riverside/360giving.json")
    assert response.status_code == 404
    assert "No grant to publish yet" in response.get_data(as_text=True)
    result = cp("export", "360giving", *RIVERSIDE)
    assert result.exit_code == 2 and "project 1 has no recipient recorded" in result.output
    _refused(
        cp("project", "recipient", *RIVERSIDE, "1", "--name", "Trust", "--org-id", "GB CHC 1"),
        "not an org-id",
    )
    _refused(cp("project", "recipient", *RIVERSIDE, "9", "--name", "Trust"), "no project 9 in riverside")
    out = _ok(cp("project", "recipient", *RIVERSIDE, "1", "--name", "Riverside Youth Trust"))
    assert out.strip() == "Project 1 is delivered by Riverside Youth Trust (no registered id)."
    package = client.get("/c/riverside/360giving.json").get_json()
    assert [g["id"] for g in package["grants"]] == ["360G-riverside-riverside-1"]
    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"  # the default
    _valid(package)
    with db.transaction() as session:
        trail = [(e.subject, e.action) for e in audit.entries(session, by_slug(session, "riverside"))]
    assert (
        "community riverside",
        "grant_prefix: none -> 360G-riverside; funder_org_id: none -> 360G-riverside-partnership",
    ) in trail
    recorded = "recipient_org_name: none -> Riverside Youth Trust"
    assert any(subject == "project 1" and recorded in action for subject, action in trail)
