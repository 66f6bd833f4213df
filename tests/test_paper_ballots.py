"""Paper and in-person ballots in a round residents vote in by message: added one at a time or
from a CSV, through the CLI, the API and the dashboard; checked as residents' ballots are,
counted in the outcome, exported to .pb, shown apart in `round show` and the recount, audited;
every refusal changes nothing."""

import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Ballot
from models.engine import make_engine
from models.migrate import upgrade
from tests.dashboard_helpers import csrf, make_organiser, post, sign_in

ROUND = "/dashboard/riverside/rounds/1"
API = "/api/v1/communities/riverside/rounds"


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def _ballots(db) -> list[tuple]:
    with db.transaction() as session:
        return session.execute(
            select(Ballot.paper_id, Ballot.choices, Ballot.channel).order_by(Ballot.id)
        ).all()


@pytest.fixture
def voters(member, new_chat, cp):
    """Two members; the first gave three ideas, shortlisted: #1 £2,500, #2 £4,000, #3 £6,000."""
    other = new_chat()
    other.say("hello")
    other.say("YES")
    for text, cost in [("benches", "£2,500"), ("a mural", "£4,000"), ("canal lights", "£6,000")]:
        member.say(f"IDEA {text}")
        member.say(cost)
    for number in ("1", "2", "3"):
        _ok(cp("ideas", "shortlist", "--community", "riverside", number))
    return member, other


def _create(cp, method="approval", budget="£10,000"):
    _ok(
        cp(
            "round",
            "create",
            "--community",
            "riverside",
            "--title",
            "Green spaces",
            "--method",
            method,
            "--ideas",
            "1,2,3",
            "--opens",
            "2026-11-26 12:00",
            "--closes",
            "2026-12-03 18:00",
            "--budget",
            budget,
        )
    )


@pytest.fixture
def opened(voters, cp):
    """Round 1, approval, greedy, £10,000 to allocate; open, its ballot sent."""
    _create(cp)
    _ok(cp("round", "open", "--community", "riverside", "1"))
    for person in voters:
        person.inbox()
    return voters


def _add(cp, paper_id, choices, number="1"):
    return cp(
        "round",
        "ballots",
        "add",
        "--community",
        "riverside",
        number,
        "--paper-id",
        paper_id,
        "--choices",
        choices,
    )


def _import(cp, tmp_path, text, *extra):
    path = tmp_path / "ballots.csv"
    path.write_text(text, encoding="utf-8")
    return cp("round", "ballots", "import", "--community", "riverside", "1", str(path), *extra)


# The CLI.


def test_paper_and_message_ballots_decide_the_round_together(opened, cp, db, tmp_path):
    ann, bob = opened
    assert "your vote is in" in ann.reply("1")
    assert "your vote is in" in bob.reply("1")
    # By message alone, greedy funds 1 only; the papers make 3 the most wanted, then 1 (tied
    # with 2 on two votes, and cheaper): £8,500, and 2 no longer fits in £10,000.
    assert "Paper ballot P-0001 (2, 3) added to round 1; receipt " in _ok(_add(cp, "P-0001", "2,3"))
    assert "P-0002 (2, 3) added" in _ok(_add(cp, "p-0002", "2 3"))  # ids are kept upper case
    assert "P-0003 (3) added" in _ok(_add(cp, "P-0003", "3"))
    shown = _ok(cp("round", "show", "--community", "riverside", "1"))
    assert "Ballots: 2 of 2 members, and 3 on paper" in shown
    live = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    assert [o["votes"] for o in live["options"]] == [2, 2, 3]
    listed = json.loads(_ok(cp("round", "ballots", "list", "--community", "riverside", "1", "--json")))
    assert [(b["paper_id"], b["choices"]) for b in listed] == [
        ("P-0001", [2, 3]),
        ("P-0002", [2, 3]),
        ("P-0003", [3]),
    ]

    _ok(cp("round", "close", "--community", "riverside", "1"))
    closed = json.loads(_ok(cp("round", "show", "--community", "riverside", "1", "--json")))
    assert closed["outcome"]["winners"] == [1, 3] and closed["outcome"]["ballots"] == 5
    assert "Ballots: 2 of 2 members, and 3 on paper" in _ok(
        cp("round", "show", "--community", "riverside", "1")
    )
    assert (
        "Round 1 recounted from 5 ballots (2 by message, 3 on paper): the same winners as published (1, 3)."
    ) in _ok(cp("round", "recount", "--community", "riverside", "1"))

    pb = _ok(cp("round", "export", "--community", "riverside", "1"))
    assert "num_votes;5" in pb
    votes = pb.split("VOTES\n")[1].splitlines()
    assert votes[0] == "voter_id;voting_method;vote"
    rows = {
        voter: (method, set(vote.split(",")))
        for voter, method, vote in (line.split(";") for line in votes[1:])
    }
    assert rows == {
        "1": ("console", {"1"}),
        "2": ("console", {"1"}),
        "paper-P-0001": ("paper", {"2", "3"}),
        "paper-P-0002": ("paper", {"2", "3"}),
        "paper-P-0003": ("paper", {"3"}),
    }
    # The file counts the same: imported back, the same winners.
    path = tmp_path / "round.pb"
    path.write_text(pb)
    assert "5 ballots; greedy funds 1, 3." in _ok(
        cp("round", "import", "--community", "riverside", str(path))
    )

    trail = json.loads(_ok(cp("audit", "--community", "riverside", "--json")))
    added = [(e["actor"], e["subject"], e["action"]) for e in trail if "paper" in e["action"]]
    assert added == [
        ("cli", "round 1", f"paper ballot added: {paper}")
        for paper in ("P-0001 (2, 3)", "P-0002 (2, 3)", "P-0003 (3)")
    ]
    assert "+44" not in json.dumps(trail)


def test_without_paper_ballots_nothing_changes_in_what_is_shown(opened, cp):
    opened[0].say("1")
    _ok(cp("round", "close", "--community", "riverside", "1"))
    assert "Ballots: 1 of 2 members\n" in _ok(cp("round", "show", "--community", "riverside", "1"))
    votes = _ok(cp("round", "export", "--community", "riverside", "1")).split("VOTES\n")[1]
    assert votes.splitlines() == ["voter_id;vote", "1;1"]


@pytest.mark.parametrize(
    "paper_id, choices, message",
    [
        ("P-1", "9", "option 9 is not on the ballot (it has options 1 to 3)"),
        ("P-1", "1,x", "'1,x' is not a list of option numbers like 1,3"),
        ("P-1", "", "no choices: a blank paper is not a ballot"),
        ("P-1", "1,1", "option 1 is listed twice"),
        ("P 1", "1", "'P 1' is not a paper id"),
        (" ", "1", "give the paper's id"),
        ("P-" + "9" * 40, "1", "is not a paper id: up to 40 letters"),
        ("P-0042", "1", "paper P-0042 is already counted in round 1"),
        ("p-0042", "2", "paper P-0042 is already counted in round 1"),
    ],
)
def test_bad_paper_ballots_are_refused(opened, cp, db, paper_id, choices, message):
    _ok(_add(cp, "P-0042", "1,2"))
    result = _add(cp, paper_id, choices)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert _ballots(db) == [("P-0042", [1, 2], "paper")]


@pytest.mark.parametrize(
    "method, budget, choices, message",
    [
        ("choose-one", "£10,000", "1,2", "this round takes exactly one choice"),
        ("budget", "£7,000", "2,3", "those choices cost £10,000 in all, more than the £7,000 to spend"),
    ],
)
def test_paper_ballots_meet_the_rounds_method(voters, cp, db, method, budget, choices, message):
    _create(cp, method, budget)
    _ok(cp("round", "open", "--community", "riverside", "1"))
    result = _add(cp, "P-1", choices)
    assert result.exit_code == 2 and message in result.output
    assert _ballots(db) == []
    assert "added" in _ok(_add(cp, "P-1", "1"))


def test_paper_ballots_only_while_the_round_is_open(voters, cp, db):
    result = _add(cp, "P-1", "1", number="7")
    assert result.exit_code == 2 and "no round 7 in riverside" in result.output
    _create(cp)
    result = _add(cp, "P-1", "1")
    assert (
        result.exit_code == 2
        and "round 1 is scheduled: paper ballots are added only while it is open" in result.output
    )
    _ok(cp("round", "open", "--community", "riverside", "1"))
    _ok(cp("round", "close", "--community", "riverside", "1"))
    result = _add(cp, "P-1", "1")
    assert result.exit_code == 2 and "round 1 is closed" in result.output
    assert _ballots(db) == []


CSV = 'paper_id,choices\nP-0001,"1,3"\nP-0002,2\n\nP-0003,1 2\n'


def test_a_csv_import_checked_then_added(opened, cp, db, tmp_path):
    dry = _import(cp, tmp_path, CSV, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "line 2: would add P-0001 (1, 3)",
        "line 3: would add P-0002 (2)",
        "line 5: would add P-0003 (1, 2)",
        "Dry run: 3 paper ballots would be added to round 1; nothing was added.",
    ]
    assert _ballots(db) == []
    assert "3 paper ballots added to round 1." in _ok(_import(cp, tmp_path, CSV))
    assert [b[0] for b in _ballots(db)] == ["P-0001", "P-0002", "P-0003"]
    again = _import(cp, tmp_path, CSV)  # the same file twice: every paper is already counted
    assert again.exit_code == 2 and "line 2: paper P-0001 is already counted in round 1" in again.stderr
    assert len(_ballots(db)) == 3


BAD_CSV = (
    'paper_id,choices\nP-0001,"1,3"\nP-0002,9\nP-0003\nP-0001,2\nP 4,1\nP-0005,"1,1"\nP-0006,\nP-0007,3\n'
)
PROBLEMS = [
    "line 3: option 9 is not on the ballot (it has options 1 to 3)",
    'line 4: expected 2 columns (paper_id,choices), found 1 (put choices with commas in quotes: "1,3")',
    "line 5: paper P-0001 is also on line 2",
    "line 6: 'P 4' is not a paper id",
    "line 7: option 1 is listed twice in '1,1'",
    "line 8: no choices",
]


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_csv_with_bad_rows_adds_nothing_and_names_every_one(opened, cp, db, tmp_path, dry_run):
    result = _import(cp, tmp_path, BAD_CSV, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    errors = result.stderr.splitlines()
    assert len(errors) == len(PROBLEMS) + 1 and "Traceback" not in result.output
    for line, expected in zip(errors, PROBLEMS, strict=False):
        assert line.startswith(f"commonpurse: error: {expected}"), (line, expected)
    nothing = "nothing would be added" if dry_run else "nothing was added"
    assert errors[-1] == f"commonpurse: error: 6 bad rows: {nothing} to round 1"
    if dry_run:  # what would be added is still shown
        assert result.stdout.splitlines() == [
            "line 2: would add P-0001 (1, 3)",
            "line 9: would add P-0007 (3)",
        ]
    else:
        assert result.stdout == ""
    assert _ballots(db) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,vote\nP-1,1\n", "line 1: the first line must name the columns paper_id,choices"),
        ("", "line 1: the first line must name the columns"),
        ("paper_id,choices\n", "the file has no ballots under its header"),
        ('paper_id,choices\nP-1,"1\n', "not readable as CSV"),
    ],
)
def test_a_csv_that_is_not_a_list_of_ballots_is_refused(opened, cp, db, tmp_path, text, message):
    result = _import(cp, tmp_path, text)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert _ballots(db) == []


def test_a_csv_from_stdin_and_refusals_of_the_file_itself(opened, cp, runner, db, tmp_path):
    from bot.cli import cli

    result = runner.invoke(
        cli,
        ["round", "ballots", "import", "--community", "riverside", "1", "-"],
        input="\ufeffpaper_id,choices\nS-1,2\n",
    )
    assert result.exit_code == 0 and "1 paper ballot added to round 1." in result.output
    missing = cp("round", "ballots", "import", "--community", "riverside", "1", str(tmp_path / "no.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    path = tmp_path / "latin1.csv"
    path.write_bytes("paper_id,choices\nÉ-1,1\n".encode("latin-1"))
    result = cp("round", "ballots", "import", "--community", "riverside", "1", str(path))
    assert result.exit_code == 2 and "is not UTF-8 text" in result.output
    assert _ballots(db) == [("S-1", [2], "paper")]


def test_a_closed_round_takes_no_csv(opened, cp, db, tmp_path):
    _ok(cp("round", "close", "--community", "riverside", "1"))
    result = _import(cp, tmp_path, CSV, "--dry-run")
    assert (
        result.exit_code == 2
        and "round 1 is closed: paper ballots are added only while it is open" in result.output
    )
    assert len(result.output.strip().splitlines()) == 1 and _ballots(db) == []


# The database holds the rules even against code that skips the checks.


def test_the_database_keeps_one_ballot_per_paper_and_per_resident(opened, db):
    opened[0].say("1")
    with db.transaction() as session:
        resident_id, round_id = session.execute(select(Ballot.resident_id, Ballot.round_id)).one()

    def insert(**fields):
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.add(Ballot(round_id=round_id, choices=[1], channel="paper", **fields))

    with db.transaction() as session:
        session.add(Ballot(round_id=round_id, paper_id="P-1", choices=[1], channel="paper"))
    insert(paper_id="P-1")  # the same paper twice
    insert(resident_id=resident_id)  # the same resident twice
    insert(paper_id="P-2", resident_id=resident_id)  # a paper is nobody's message ballot
    assert len(_ballots(db)) == 2


def test_the_migration_keeps_existing_ballots(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0011")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO community (name, slug, join_code, sms_number, timezone, languages, "
                "currency, budget_total_pence, verification, postcode_areas, digest_recipients, "
                "digest_weekday, digest_time, created_at, public_page) VALUES ('R', 'r', 'R', "
                "'+441632960001', 'Europe/London', '[\"en\"]', 'GBP', 100, 'none', '[]', '[]', 0, "
                "'09:00', '2026-11-26 00:00:00', 1)"
            )
            connection.exec_driver_sql(
                "INSERT INTO round (community_id, number, title, method, rule, budget_pence, status, "
                "opens_at, closes_at, imported, created_at) VALUES (1, 1, 'Old', 'approval', "
                "'greedy', 100, 'open', '2026-11-26', '2026-12-26', 0, '2026-11-26')"
            )
            connection.exec_driver_sql(
                "INSERT INTO ballot (round_id, choices, channel, cast_at, changed_at) "
                "VALUES (1, '[1]', 'import', '2026-11-26', '2026-11-26')"
            )
        upgrade(engine)
        with engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT choices, channel, paper_id FROM ballot").all() == [
                ("[1]", "import", None)
            ]
    finally:
        engine.dispose()


# The API.


@pytest.fixture
def api(client, cp, opened):
    assert (
        cp(
            "organiser",
            "create",
            "--email",
            "sam@example.org",
            "--name",
            "Sam",
            "--community",
            "riverside",
            "--password",
            "a long passphrase",
        ).exit_code
        == 0
    )
    token = cp("token", "create", "--email", "sam@example.org", "--name", "laptop").output.strip()

    def call(method: str, path: str, json=None):
        response = getattr(client, method)(
            API + path, json=json, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code < 500, response.data
        return response.status_code, response.get_json(silent=True) or response.get_data(as_text=True)

    return call


def test_paper_ballots_through_the_api(api, opened, cp, db):
    opened[0].say("1")
    status, body = api("post", "/1/ballots", {"paper_id": "A-1", "choices": [2, 3]})
    assert status == 201 and body["ballot"]["paper_id"] == "A-1" and body["round"]["ballots"] == 2
    assert api("post", "/1/ballots", {"paper_id": "A-2", "choices": "3"})[0] == 201
    status, body = api(
        "post", "/1/ballots/import", {"csv": "paper_id,choices\nA-3,3\nA-4,9\n", "dry_run": True}
    )
    assert status == 422 and body["error"]["problems"] == [
        "line 3: option 9 is not on the ballot (it has options 1 to 3)"
    ]
    assert body["would_add"] == [{"line": 2, "paper_id": "A-3", "choices": [3]}]
    status, body = api("post", "/1/ballots/import", {"csv": "paper_id,choices\nA-3,3\n", "dry_run": True})
    assert status == 200 and body["would_add"][0]["paper_id"] == "A-3"
    status, body = api("post", "/1/ballots/import", {"csv": "paper_id,choices\nA-3,3\n"})
    assert status == 201 and [b["paper_id"] for b in body["added"]] == ["A-3"]
    status, body = api("get", "/1/ballots")
    assert (body["ballots_by_message"], body["ballots_on_paper"]) == (1, 3)
    assert [(b["paper_id"], b["choices"]) for b in body["paper"]] == [
        ("A-1", [2, 3]),
        ("A-2", [3]),
        ("A-3", [3]),
    ]
    assert api("post", "/1/close")[1]["round"]["outcome"]["winners"] == [1, 3]
    status, body = api("get", "/1/recount")
    assert body["matches_published"] and (body["ballots_by_message"], body["ballots_on_paper"]) == (1, 3)
    assert body["recount"]["winners"] == [1, 3]
    status, pb = api("get", "/1/export?format=pb")
    assert ("paper-A-1;paper;2,3" in pb or "paper-A-1;paper;3,2" in pb) and "\n1;console;1\n" in pb


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("/1/ballots", {"paper_id": "A-1", "choices": [9]}, 422, "option 9 is not on the ballot"),
        (
            "/1/ballots",
            {"paper_id": "A-1", "choices": [1, True]},
            422,
            "choices must be a list of option numbers",
        ),
        ("/1/ballots", {"paper_id": "A-1", "choices": [1, 1]}, 422, "lists an option twice"),
        ("/1/ballots", {"paper_id": "A-1", "choices": "1,,2"}, 422, "is not a list of option numbers"),
        ("/1/ballots", {"paper_id": "A-1"}, 422, "choices is required"),
        ("/1/ballots", {"paper_id": 7, "choices": [1]}, 422, "paper_id must be a string"),
        ("/1/ballots", {"paper_id": "A;1", "choices": [1]}, 422, "is not a paper id"),
        ("/1/ballots", {"paper_id": "Z-9", "choices": [1]}, 422, "paper Z-9 is already counted in round 1"),
        ("/1/ballots/import", {"csv": "paper_id,choices\nZ-9,1\n"}, 422, "1 bad row(s): nothing was added"),
        ("/1/ballots/import", {}, 422, "csv is required"),
        (
            "/1/ballots/import",
            {"csv": "paper_id,choices\nA-1,1\n", "dry_run": "yes"},
            422,
            "dry_run must be true or false",
        ),
    ],
)
def test_api_refusals_add_nothing(api, db, path, body, status, message):
    assert api("post", "/1/ballots", {"paper_id": "Z-9", "choices": [2]})[0] == 201
    got, answer = api("post", path, body)
    assert got == status and message in answer["error"]["message"], answer
    assert _ballots(db) == [("Z-9", [2], "paper")]


def test_api_unknown_and_closed_rounds(api, db, cp):
    got, answer = api("post", "/9/ballots", {"paper_id": "A-1", "choices": [1]})
    assert got == 404 and "no round 9 in riverside" in answer["error"]["message"]
    _ok(cp("round", "close", "--community", "riverside", "1"))
    got, answer = api("post", "/1/ballots", {"paper_id": "A-1", "choices": [1]})
    assert got == 422 and "round 1 is closed: paper ballots are added only" in answer["error"]["message"]
    got, answer = api("post", "/1/ballots/import", {"csv": "paper_id,choices\nA-1,1\n"})
    assert got == 422 and "round 1 is closed" in answer["error"]["message"]
    assert _ballots(db) == []


# The dashboard.


@pytest.fixture
def page(app, clock, client, opened):
    make_organiser(app, clock)
    sign_in(client)
    return client


def _flash(response, client) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.location).get_data(as_text=True)


def _upload(client, text: str, action: str):
    token = csrf(client.get(ROUND).data)
    return client.post(
        f"{ROUND}/ballots/import",
        data={"csrf_token": token, "action": action, "csv": (io.BytesIO(text.encode()), "ballots.csv")},
        content_type="multipart/form-data",
    )


def test_paper_ballots_from_the_rounds_page(page, opened, cp, db):
    opened[0].say("1")
    shown = page.get(ROUND).get_data(as_text=True)
    assert "Paper ballots" in shown and 'name="paper_id"' in shown and 'type="file"' in shown
    added = _flash(post(page, f"{ROUND}/ballots", page=ROUND, paper_id="D-1", choices="2,3"), page)
    assert "Paper ballot D-1 (2, 3) added to round 1; receipt " in added
    assert '<dd id="by-message">1</dd>' in added and '<dd id="on-paper">1</dd>' in added

    refused = post(page, f"{ROUND}/ballots", page=ROUND, paper_id="D-2", choices="9")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="paper-choices-error"' in text
    assert "option 9 is not on the ballot" in text and 'value="D-2"' in text  # what was typed kept
    twice = post(page, f"{ROUND}/ballots", page=ROUND, paper_id="d-1", choices="1")
    assert (
        twice.status_code == 422
        and "paper D-1 is already counted in round 1" in twice.get_data(as_text=True)
        and 'id="paper-paper_id-error"' in twice.get_data(as_text=True)
    )

    checked = _upload(page, BAD_CSV, "check")
    text = checked.get_data(as_text=True)
    assert checked.status_code == 422 and "6 bad rows: nothing would be added." in text
    assert "line 3: option 9 is not on the ballot" in text and "line 9: P-0007 (3)" in text
    assert _upload(page, BAD_CSV, "import").status_code == 422
    assert len(_ballots(db)) == 2
    checked = _upload(page, CSV, "check")
    assert checked.status_code == 200 and "3 paper ballots would be added" in checked.get_data(as_text=True)
    assert len(_ballots(db)) == 2
    assert "3 paper ballots added to round 1." in _flash(_upload(page, CSV, "import"), page)
    assert "Ballots: 1 of 2 members, and 4 on paper" in _ok(
        cp("round", "show", "--community", "riverside", "1")
    )
    trail = _ok(cp("audit", "--community", "riverside"))
    assert "sam@example.org" in trail and "paper ballot added: D-1 (2, 3)" in trail

    _ok(cp("round", "close", "--community", "riverside", "1"))
    closed = page.get(ROUND).get_data(as_text=True)
    assert 'name="paper_id"' not in closed and '<dd id="on-paper">4</dd>' in closed
    recount = _flash(post(page, f"{ROUND}/recount", page=ROUND), page)
    assert "recounted from 5 ballots (1 by message, 4 on paper)" in recount
    late = post(page, f"{ROUND}/ballots", page=ROUND, paper_id="D-9", choices="1")
    assert (
        late.status_code == 422
        and "round 1 is closed: paper ballots are added only while it is open" in late.get_data(as_text=True)
    )
    assert _upload(page, CSV, "check").status_code == 422
    assert len(_ballots(db)) == 5


def test_the_upload_must_be_a_utf8_file(page, db):
    token = csrf(page.get(ROUND).data)
    response = page.post(
        f"{ROUND}/ballots/import",
        data={"csrf_token": token, "action": "import"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "choose a CSV file" in response.get_data(as_text=True)
    response = page.post(
        f"{ROUND}/ballots/import",
        data={
            "csrf_token": token,
            "action": "import",
            "csv": (io.BytesIO("paper_id,choices\nÉ,1\n".encode("latin-1")), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "is not UTF-8 text" in response.get_data(as_text=True)
    assert _ballots(db) == []


@pytest.mark.parametrize("path", [f"{ROUND}/ballots", f"{ROUND}/ballots/import"])
def test_the_forms_are_guarded(page, client, make_community, db, path):
    fields = {"paper_id": "G-1", "choices": "1"}
    assert page.post(path, data=fields).status_code == 400  # no CSRF token
    token = csrf(page.get(ROUND).data)
    assert page.post(path.replace("/1/", "/9/"), data={**fields, "csrf_token": token}).status_code == 404
    make_community(name="Hillside", slug="hillside", join_code="HILLSIDE", sms_number="+441632960002")
    other = path.replace("riverside", "hillside")
    assert page.post(other, data={**fields, "csrf_token": token}).status_code == 404
    page.post("/dashboard/logout", data={"csrf_token": token})
    response = page.post(path, data={**fields, "csrf_token": csrf(page.get("/dashboard/login").data)})
    assert response.status_code == 302 and "/dashboard/login" in response.location
    assert _ballots(db) == []
