"""Published anonymous ballots: when a round closes, its public page offers every ballot as a
pabulib .pb file under the voters' receipts, with the file's SHA-256; a receipt lookup shows the
choices counted for a code; nothing about the tally is public while the round is open; and the
file alone recounts to the published winners, in pabutools and with `commonpurse verify`."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain.receipts import read_receipt
from bot.text import links
from models import Ballot
from tests.conftest import park_round
from tests.test_digest import week_of_activity  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b")
SITE = "https://purse.example.org"
ROUND = "/c/riverside/rounds/1"


def _receipt(reply: str) -> str:
    (code,) = CODE.findall(reply)
    return code


@pytest.fixture
def site(app, monkeypatch):
    """The public address, as COMMONPURSE_PUBLIC_URL sets it."""
    monkeypatch.setattr(links, "_public_url", SITE)


@pytest.fixture
def opened(site, member, new_chat, cp):
    """Round 1, "Park" (1 benches £1k, 2 a mural £1k), approval, greedy, open. Ann (member) voted
    1 2 then changed to 2; Bob voted 1; paper P-1 voted 2. Returns the receipts."""
    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    bob = new_chat()
    bob.say("hi")
    bob.say("YES")
    member.inbox()
    bob.inbox()
    replaced = _receipt(member.reply("1 2"))
    ann = _receipt(member.reply("2"))
    bob_code = _receipt(bob.reply("1"))
    added = cp(
        "round", "ballots", "add", "--community", "riverside", "1", "--paper-id", "P-1", "--choices", "2"
    )
    assert added.exit_code == 0, added.output
    return {
        "ann": ann,
        "replaced": replaced,
        "bob": bob_code,
        "paper": _receipt(added.output),
        "chats": (member, bob),
    }


@pytest.fixture
def closed(opened, cp):
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    return opened


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_nothing_of_the_tally_is_public_while_the_round_is_open(client, opened, api):
    page = client.get("/c/riverside").get_data(as_text=True)
    round_page = client.get(ROUND).get_data(as_text=True)
    data = client.get(ROUND + ".json").get_json()
    assert data["status"] == "open"
    assert set(data["options"][0]) == {"number", "title", "cost_pence"}  # no votes
    assert "ballots" not in data and "winners" not in data
    for shown in (_text(page).lower(), _text(round_page).lower()):
        assert not re.search(r"(?<![\d,.])\d+ (ballots?|votes?|voters?)\b", shown) and "turnout" not in shown
    assert client.get(ROUND + "/ballots.pb").status_code == 404
    assert "receipt" not in _text(round_page).lower()
    # Organisers, signed in, still see live turnout and votes.
    status, live = api("get", "/communities/riverside/rounds/1")
    assert status == 200 and live["ballots"] == 3 and [o["votes"] for o in live["options"]] == [1, 2]


def test_the_closed_round_publishes_its_ballots_under_their_receipts(client, closed, db):
    page = client.get(ROUND).get_data(as_text=True)
    download = client.get(ROUND + "/ballots.pb")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="riverside-round-1.pb"'
    body = download.get_data(as_text=True)
    digest = hashlib.sha256(download.data).hexdigest()
    assert digest in page
    assert client.get(ROUND + ".json").get_json()["ballot_file_sha256"] == digest
    assert digest in client.get("/c/riverside").get_data(as_text=True)
    votes = body.split("VOTES\n", 1)[1].splitlines()
    assert votes[0] == "voter_id;vote"
    # Each counted ballot under its receipt, in the receipts' order (not the order cast); a
    # replaced receipt is not there.
    expected = sorted([(closed["ann"], "2"), (closed["bob"], "1"), (closed["paper"], "2")])
    assert votes[1:] == [f"{code};{vote}" for code, vote in expected]
    assert closed["replaced"] not in body
    projects = body.split("PROJECTS\n", 1)[1].split("VOTES\n")[0].splitlines()
    assert projects == ["project_id;cost;name;votes;selected", "1;1000;benches;1;1", "2;1000;a mural;2;1"]
    # Nobody in it: no number, chat id or paper id, and no time finer than the round's dates.
    for private in ("+44", "7700900", "P-1", "paper", "sms", "console"):
        assert private not in body, private
    assert not re.search(r"\d:\d\d", body)  # no time of day anywhere
    assert "date_begin;26.11.2026" in body and "date_end;26.11.2026" in body


def test_the_file_opens_in_pabutools_and_its_rule_gives_the_published_winners(client, closed):
    from pabutools.election import Cost_Sat
    from pabutools.election.pabulib import parse_pabulib_from_string
    from pabutools.rules import greedy_utilitarian_welfare

    instance, profile = parse_pabulib_from_string(client.get(ROUND + "/ballots.pb").get_data(as_text=True))
    assert instance.meta["rule"] == "greedy" and profile.num_ballots() == 3
    chosen = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    published = {p.name for p in instance if instance.project_meta[p]["selected"] == "1"}
    assert {p.name for p in chosen} == published == {"1", "2"}
    assert {b.meta["voter_id"] for b in profile} == {closed["ann"], closed["bob"], closed["paper"]}


def test_a_receipt_shows_the_choices_counted_for_it(client, closed):
    counted = _text(client.get(ROUND, query_string={"receipt": closed["ann"].lower()}).get_data(as_text=True))
    assert f"Receipt {closed['ann']} was counted with these choices: 2. a mural" in counted
    replaced = _text(client.get(ROUND, query_string={"receipt": closed["replaced"]}).get_data(as_text=True))
    assert (
        f"Receipt {closed['replaced']} belongs to a vote that was changed afterwards: it was replaced"
        in replaced
    )
    assert "counted with these choices" not in replaced
    unknown = _text(client.get(ROUND, query_string={"receipt": "ZZZZ-ZZZZ"}).get_data(as_text=True))
    assert "No ballot in this vote has the receipt ZZZZ-ZZZZ" in unknown
    junk = client.get(ROUND, query_string={"receipt": "<b>x</b>"}).get_data(as_text=True)
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in junk and "<b>x</b>" not in junk


def test_the_result_message_says_where_to_check(closed, db):
    ann, bob = closed["chats"]
    link = f"{SITE}{ROUND}"
    # Ann gave both ideas, and each author's own news says their idea won instead.
    (result,) = [m for m in bob.inbox() if "results" in m]
    assert result.endswith(f"Check every ballot at {link}")
    ann.inbox()
    assert ann.reply("RESULTS").endswith(f"Check every ballot at {link}")


def test_many_winners_beside_the_link_are_counted_never_cut_mid_title(site, member, db, clock, cp):
    from tests.test_option_pages import open_round

    open_round(db, clock, 50)
    member.inbox()
    member.say(" ".join(str(n) for n in range(1, 46)))
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    result = next(text for text in member.inbox() if "results" in text)
    winners = re.findall(r"(\d+) idea number \d+ for the pa", result)
    more = re.search(r" and (\d+) more, £45,000 in all", result)
    assert more and len(winners) + int(more[1]) == 45, result
    assert result.endswith(f"Check every ballot at {SITE}{ROUND}")


def test_without_a_public_address_the_result_has_no_link(member, cp, app):
    assert links.public_url() is None
    park_round(cp, "riverside", member.say)
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    member.inbox()
    member.reply("1")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    assert "Check every ballot" not in " ".join(member.inbox())


def test_the_page_templates_carry_no_inline_script_or_style():
    for template in (ROOT / "bot/web/templates/public").glob("round.html"):
        html = template.read_text()
        assert "<script" not in html and "style=" not in html


# -- commonpurse verify --------------------------------------------------------------------


def _verify(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """`commonpurse verify` as a sceptic runs it: a fresh process, no database configured, no
    account, in a folder of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONPURSE_")}
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "verify", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.fixture
def published(client, closed, tmp_path) -> Path:
    path = tmp_path / "round.pb"
    path.write_bytes(client.get(ROUND + "/ballots.pb").data)
    return path


def test_verify_recounts_the_published_file_alone(published, tmp_path):
    done = _verify(published, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Winners recounted: 1, 2" in done.stdout and "Winners published: 1, 2" in done.stdout
    assert "MATCH" in done.stdout
    assert hashlib.sha256(published.read_bytes()).hexdigest() in done.stdout
    assert not (tmp_path / "instance").exists()


def test_verify_says_when_the_published_winners_do_not_follow_from_the_ballots(published, tmp_path):
    text = published.read_text()
    # The budget in META cut to £1,000: only the mural (2 votes) is funded, though the file
    # still says both won.
    text = text.replace("budget;", "budget;1000\nold_budget;", 1)
    published.write_text(text)
    done = _verify(published, tmp_path)
    assert done.returncode == 1
    assert "Winners published: 1, 2" in done.stdout and "DIFFERS" in done.stderr


@pytest.mark.parametrize(
    "content, says",
    [
        ("not a pb file at all\n", "not a readable .pb file"),
        ("", "not a readable .pb file"),
    ],
)
def test_verify_refuses_a_bad_file_in_one_line(tmp_path, content, says):
    path = tmp_path / "bad.pb"
    path.write_text(content)
    done = _verify(path, tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and says in done.stderr
    assert "Traceback" not in done.stderr


def test_verify_refuses_a_file_that_publishes_no_result(published, tmp_path):
    text = published.read_text().replace(";votes;selected", ";votes;chosen")
    published.write_text(text)
    done = _verify(published, tmp_path)
    assert done.returncode == 2 and "does not say which projects were selected" in done.stderr
    missing = _verify(tmp_path / "nowhere.pb", tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1


def test_receipts_in_the_file_are_those_stored_on_the_ballots(published, db):
    with db.transaction() as session:
        stored = set(session.scalars(select(Ballot.receipt)))
    in_file = {line.split(";")[0] for line in published.read_text().split("VOTES\n")[1].splitlines()[1:]}
    assert in_file == stored and all(read_receipt(code) == code for code in in_file)


def test_the_weekly_digest_shows_the_published_file_s_hash(cp, db, client, smtp, week_of_activity):  # noqa: F811
    download = client.get(ROUND + "/ballots.pb")
    digest = hashlib.sha256(download.data).hexdigest()
    preview = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48")
    assert f"Ballots published, SHA-256 {digest}" in preview.output
    assert cp("digest", "send", "--community", "riverside", "--week", "2026-W48").exit_code == 0
    (_, message), *_ = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert f"Ballots published, SHA-256 <code>{digest}</code>" in html


# -- pabutools directly, as the README tells a sceptic -------------------------------------


def _readme_recount_script() -> str:
    from tests.test_readme import README, section

    (script,) = re.findall(
        r"^```python\n(.*?)^```",
        section(README.read_text(encoding="utf-8"), "Results anyone can check"),
        re.M | re.S,
    )
    return script


@pytest.fixture
def equal_shares(site, member, new_chat, cp, db):
    """Round 1 by equal shares, £2,000 to spend on 1 benches £1k, 2 a mural £1k, 3 lights £2k:
    Ann and Bob vote 1 3, Cat votes 2; closed."""
    for idea, cost in (("IDEA benches", "£1k"), ("IDEA a mural", "£1k"), ("IDEA lights", "£2k")):
        member.say(idea)
        member.say(cost)
    for number in ("1", "2", "3"):
        assert cp("ideas", "shortlist", "--community", "riverside", number).exit_code == 0
    created = cp(
        "round", "create", "--community", "riverside", "--title", "Park", "--method", "approval",
        "--rule", "equal-shares", "--ideas", "1,2,3", "--budget", "£2,000",
        "--opens", "2026-11-26 09:00", "--closes", "2026-11-30 18:00",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    for n, choice in ((456, "1 3"), (457, "2")):
        voter = new_chat(phone=f"+447700900{n}")
        voter.say("hi")
        voter.say("YES")
        voter.say(choice)
    member.say("1 3")
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0


@pytest.mark.parametrize("scenario", ["closed", "equal_shares"])
def test_the_readme_s_pabutools_recount_gives_the_published_winners(client, tmp_path, request, scenario):
    request.getfixturevalue(scenario)
    path = tmp_path / "round.pb"
    path.write_bytes(client.get(ROUND + "/ballots.pb").data)
    script = tmp_path / "recount.py"
    script.write_text(_readme_recount_script())
    done = subprocess.run(
        [sys.executable, str(script), str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    recounted, published = done.stdout.splitlines()
    assert recounted.split(":", 1)[1] == published.split(":", 1)[1], done.stdout
    assert published != "published: []"
    assert _verify(path, tmp_path).returncode == 0


def test_a_double_quote_in_an_option_cannot_swallow_the_ballots(opened, cp, client, db):
    """pabutools reads .pb lines as CSV: a name opening with an unclosed " would take every line
    after it, ballots and all, into one field."""
    from pabutools.election.pabulib import parse_pabulib_from_string

    from models import RoundOption

    with db.transaction() as session:  # as an organiser's wording might have it
        session.scalars(select(RoundOption).where(RoundOption.number == 1)).one().title = '"benches'
    assert cp("round", "close", "--community", "riverside", "1").exit_code == 0
    text = client.get(ROUND + "/ballots.pb").get_data(as_text=True)
    instance, profile = parse_pabulib_from_string(text)
    assert len(instance) == 2 and profile.num_ballots() == 3
    assert "\n1;1000;'benches;1;1\n" in text
