"""Who takes part, and where: turnout by postcode area in the digest (text, HTML with inline
charts, CSV) and on the dashboard, never showing an area of fewer than five members."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from tests.conftest import Chat, park_round
from tests.dashboard_helpers import make_organiser, sign_in

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


def _join(db, clock, n: int, postcode: str) -> Chat:
    chat = Chat(db, clock, "millfield", f"+4477009002{n:02d}")
    chat.say("hello")
    assert "postcode" in chat.reply("YES")
    assert "you're in" in chat.reply(postcode).lower()
    return chat


@pytest.fixture
def millfield(db, clock, cp, make_community):
    """Millfield checks postcodes. E1: 6 members, 5 vote; E2: 5 members, 1 votes (under half the
    community's rate); E3: 4 members, 2 vote. The round closes and funds both ideas; a project
    moves on; £500 is spent against its allocation. All in week 2026-W48; the clock then sits at
    Monday 30 Nov 09:00."""
    make_community(
        slug="millfield",
        join_code="MILL",
        sms_number="+441632960002",
        name="Millfield",
        verification="postcode",
        postcode_areas=["E1", "E2", "E3"],
    )
    e1 = [_join(db, clock, n, "E1 6AN") for n in range(6)]
    e2 = [_join(db, clock, 10 + n, "e2 7qx") for n in range(5)]
    e3 = [_join(db, clock, 20 + n, "E3 2AB") for n in range(4)]
    park_round(cp, "millfield", e1[0].say)  # ideas 1 and 2, from E1
    e2[0].say("IDEA a bus shelter")
    e2[0].say("£3k")
    assert cp("round", "open", "--community", "millfield", "1").exit_code == 0
    for voter in [*e1[:5], e2[0], *e3[:2]]:
        voter.say("1 2")
    clock.advance(hours=2)
    assert cp("round", "close", "--community", "millfield", "1").exit_code == 0
    clock.advance(hours=1)
    updated = cp(
        "project",
        "update",
        "--community",
        "millfield",
        "1",
        "--status",
        "in-progress",
        "--note",
        "Benches ordered from the joinery.",
    )
    assert updated.exit_code == 0, updated.output
    assert (
        cp(
            "budget",
            "spend",
            "--community",
            "millfield",
            "--amount",
            "£500",
            "--description",
            "Deposit",
            "--allocation",
            "1",
            "--date",
            "2026-11-26",
        ).exit_code
        == 0
    )
    assert (
        cp("community", "digest", "--community", "millfield", "--to", "council@example.gov.uk").exit_code == 0
    )
    clock.current = MONDAY_9AM


def _rows(text: str) -> dict[str, list[str]]:
    """The turnout table of a digest's text part: area -> its columns (flags last, if any)."""
    section = text.replace("\r\n", "\n").split("WHO TAKES PART, AND WHERE\n", 1)[1].split("\n\n", 1)[0]
    found = {}
    for line in section.splitlines()[2:-1]:  # after which round and the heading; before the rule
        match = re.match(r"^  (.+?)\s{2,}(\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s+(\S+)(?:\s{2}(.+))?$", line)
        assert match, line
        found[match[1]] = [g for g in match.groups()[1:] if g is not None]
    return found


def test_the_preview_shows_turnout_by_area_and_hides_areas_under_five(cp, millfield):
    result = cp("digest", "preview", "--community", "millfield", "--week", "2026-W48")
    assert result.exit_code == 0, result.output
    text = result.output
    rows = _rows(text)
    assert list(rows) == ["E1", "E2", "fewer than 5 members", "all members"]
    assert rows["E1"] == ["6", "2", "0.33", "5", "83%"]
    assert rows["E2"] == ["5", "1", "0.20", "1", "20%", "few ballots"]
    assert rows["fewer than 5 members"] == ["4", "0", "0.00", "2", "50%"]
    assert rows["all members"] == ["15", "3", "0.20", "8", "53%"]
    assert "E3" not in text  # four members: never shown as an area
    assert "Ballots in round Park (closed)" in text
    assert "under half the community average" in text
    assert "+4477" not in text and "6AN" not in text.upper()


def test_the_digest_shows_project_progress_and_money_over_time(cp, millfield):
    text = cp("digest", "preview", "--community", "millfield", "--week", "2026-W48").output
    projects = text.split("PROJECTS\n", 1)[1].split("\n\n", 1)[0]
    assert "By status: funded 1, in progress 1" in projects
    assert (
        "#1 benches: in progress (status changed this week). Note: Benches ordered from the joinery."
    ) in projects
    assert "committed £2,000; spent this week £500" in text  # the MONEY line, and its history:
    assert "2026-11: committed £2,000, spent £500" in text
    later = cp("digest", "preview", "--community", "millfield", "--week", "2026-W49").output
    assert "No project news this week." in later


def test_the_emailed_digest_has_two_inline_charts_and_csv_rows_matching_the_text(cp, millfield, smtp):
    result = cp("digest", "send", "--community", "millfield")
    assert result.exit_code == 0 and "Digest 2026-W48 sent." in result.output, result.output
    ((_, message),) = smtp.messages
    plain = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    related = next(part for part in message.walk() if part.get_content_type() == "multipart/related")
    assert related.get_payload()[0] is html_part  # the images travel with the HTML that shows them
    images = [part for part in related.iter_parts() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert image.get_content().startswith(PNG)
        cid = image["Content-ID"].strip().strip("<>")
        img = re.search(rf'<img src="cid:{re.escape(cid)}" alt="([^"]+)"', html)
        assert img, cid
    alts = re.findall(r'<img src="cid:[^"]+" alt="([^"]+)"', html)
    assert any("E2 20%" in alt and "community average 53%" in alt for alt in alts)
    assert any("committed £2,000" in alt for alt in alts)
    assert "<h3>Who takes part, and where</h3>" in html and "E3" not in html

    attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    areas = list(csv.DictReader(io.StringIO(attachments["millfield-2026-W48-areas.csv"])))
    text_rows = _rows(plain)
    assert [row["area"] for row in areas] == list(text_rows)
    for row in areas:
        members, ideas, _, ballots, *_ = text_rows[row["area"]]
        assert (row["members"], row["ideas"], row["ballots"]) == (members, ideas, ballots)
    assert next(r for r in areas if r["area"] == "E2")["flags"] == "few ballots"
    money = list(csv.DictReader(io.StringIO(attachments["millfield-2026-W48-money.csv"])))
    assert money == [{"month": "2026-11", "committed_pence": "200000", "spent_pence": "50000"}]
    assert "E3" not in attachments["millfield-2026-W48-areas.csv"]


def test_a_community_without_postcodes_says_so_and_has_no_area_chart(cp, member, smtp):
    cp("community", "digest", "--community", "riverside", "--to", "council@example.gov.uk")
    text = cp("digest", "preview", "--community", "riverside", "--week", "2026-W48").output
    assert (
        "WHO TAKES PART, AND WHERE\n  No areas to show: the postcode districts of members are not known.\n"
    ) in text
    member.clock.current = MONDAY_9AM
    assert "sent" in cp("digest", "send", "--community", "riverside").output
    ((_, message),) = smtp.messages
    assert not [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert "No areas to show" in message.get_body(("html",)).get_content()
    names = [a.get_filename() for a in message.iter_attachments()]
    assert names == ["riverside-2026-W48.csv"]  # no areas, no money yet: only the figures


def test_the_dashboard_overview_shows_turnout_by_area(app, client, clock, millfield):
    make_organiser(app, clock, communities=("millfield",))
    sign_in(client)
    page = client.get("/dashboard/millfield/").get_data(as_text=True)
    section = page.split('id="areas"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert "Turnout by area" in text
    assert "E1 6 2 0.33 5 83%" in text
    assert "E2 5 1 0.20 1 20% few ballots" in text
    assert "fewer than 5 members 4 0 0.00 2 50%" in text
    assert "all members 15 3 0.20 8 53%" in text
    shown = re.sub(r"<[^>]+>", " ", page)  # not the tags: a CSRF token may hold "E3"
    assert "E3" not in shown and "+44" not in page
