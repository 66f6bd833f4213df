"""The API against its own OpenAPI document: schemathesis, every check, every operation.

Each operation gets the cases schemathesis derives from the document (its coverage phase: each
declared bound and enum on both sides, required fields left out, methods the path does not
take) and a few generated ones, derandomised, with a valid token, in-process on this test's
database: what the document says the API takes, it takes, and answers as documented; what it
says the API refuses, it refuses with a 4xx; never a 5xx. Issue 26, defect 7.
"""

import importlib
import pkgutil
from pathlib import Path

import hypothesis
import pytest
import schemathesis

import bot.web.api
from bot.web.api.openapi import DOCUMENT
from tests.conftest import Chat

# Each part of the API adds its paths to the document as it is imported (as create_app imports
# them all): every part, so no operation goes unchecked.
for _part in pkgutil.iter_modules(bot.web.api.__path__):
    importlib.import_module(f"bot.web.api.{_part.name}")

# schemathesis's pytest plugin takes seconds to import: pyproject.toml keeps it out of every
# pytest process (-p no:schemathesis), and this module, the one that needs it, brings it in.
pytest_plugins = ["schemathesis.pytest.plugin"]

# The project's settings (schemathesis.toml, as `schemathesis run` reads them), where every
# path's {slug} names the community the token runs, and the app is called in-process.
CONFIG = schemathesis.Config.from_path(Path(__file__).parent.parent / "schemathesis.toml")
CONFIG.projects.default.update(parameters={"slug": "riverside"})
CONFIG.projects.default.update(base_url="http://localhost/api/v1")
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)

# Each of these succeeds, on Riverside as seeded, in some of the cases schemathesis makes: the
# checks saw the API at work, not only its refusals. The others need a state one seed cannot
# give every operation at once (a closed round, a funded project, two ideas shortlisted and in
# no round) or data no generator guesses (a CSV of valid ballots); tests/test_api.py has their
# successes.
SUCCEED = {
    "GET /communities",
    "GET /communities/{slug}",
    "GET /communities/{slug}/ideas",
    "GET /communities/{slug}/rounds",
    "GET /communities/{slug}/rounds/{number}",
    "GET /communities/{slug}/rounds/{number}/ballots",
    "GET /communities/{slug}/rounds/{number}/export",
    "GET /communities/{slug}/budget",
    "GET /communities/{slug}/projects",
    "POST /communities/{slug}/ideas/{number}/shortlist",
    "POST /communities/{slug}/ideas/{number}/reject",
    "POST /communities/{slug}/rounds/{number}/ballots",
    "POST /communities/{slug}/rounds/{number}/remind",
    "POST /communities/{slug}/rounds/{number}/close",
    "POST /communities/{slug}/rounds/{number}/cancel",
    "POST /communities/{slug}/budget/allocations",
    "POST /communities/{slug}/budget/allocations/{number}/close",
    "POST /communities/{slug}/budget/spending",
    "POST /communities/{slug}/budget/spending/{number}/void",
    "POST /communities/{slug}/budget/updates",
    "POST /communities/{slug}/announcements",
}
LABELS = {f"{method.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for method in ops}


@pytest.fixture
def riverside(cp, db, clock, community, token):
    """Riverside, where number 1 of each thing can be acted on: idea 1 submitted (£1k), round 1
    open with ideas 2 and 3, allocation 1 with spending 1 against it; and Sam's token."""
    person = Chat(db, clock, "riverside", "+447700900111")
    person.say("hi")
    person.say("YES")
    for idea in ("IDEA benches", "IDEA a mural", "IDEA lights"):
        person.say(idea)
        person.say("£1k")
    r = ("--community", "riverside")
    times = ("--opens", "2026-11-26 09:00", "--closes", "2026-11-30 18:00")
    for command in [
        ("ideas", "shortlist", *r, "2"),
        ("ideas", "shortlist", *r, "3"),
        ("round", "create", *r, "--title", "Park", "--method", "approval", "--ideas", "2,3", *times),
        ("round", "open", *r, "1"),
        ("budget", "allocate", *r, "--title", "Hall", "--amount", "900"),
        ("budget", "spend", *r, "--description", "Paint", "--amount", "50", "--allocation", "1"),
    ]:
        assert cp(*command).exit_code == 0, command
    return token


@pytest.fixture
def succeeded(request):
    """The 2xx answers to this operation's own method; afterwards, that there were some."""
    answers: list[int] = []
    yield answers
    label = request.node.name.partition("[")[2].partition("]")[0]
    assert label in LABELS, label
    assert answers or label not in SUCCEED, f"{label}: no call succeeded"


@schema.parametrize()
# What the document promises does not depend on the database; both run the API's own tests
# (tests/test_api.py), so this, the suite's longest file, runs on SQLite alone.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@hypothesis.settings(
    max_examples=5,  # generated cases per operation, beyond the coverage phase's (about 20-120)
    derandomize=True,  # the same cases every run: it cannot flake
    database=None,
    deadline=None,
    # The fixtures are made once per operation, not per case, on purpose: the cases of one
    # operation share a database, as an organiser's calls do.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
def test_the_api_does_what_its_document_says(case, app, riverside, succeeded):
    # This test's app, for the call and for the checks that call again (without the token...).
    case.operation.app = case.operation.schema.app = app
    response = case.call_and_validate(headers={"Authorization": f"Bearer {riverside}"})
    if response.status_code < 300 and case.method == case.operation.method.upper():
        succeeded.append(response.status_code)
