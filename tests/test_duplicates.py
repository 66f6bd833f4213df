"""Likely duplicate ideas: how well the threshold separates labelled pairs (precision and recall,
printed for the CI log), and what organisers see: `ideas list`, the API and the Ideas page show
each open idea's likely duplicates, and the dashboard merges a pair with one button."""

import csv
import html
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from bot.domain.communities import by_slug
from bot.domain.duplicates import MOST, THRESHOLD, likely_duplicates, normalise, similarity
from bot.domain.ideas import idea_by_number
from tests.conftest import Chat
from tests.dashboard_helpers import make_organiser, post, sign_in

PAIRS = Path(__file__).parent / "data" / "duplicate_pairs.csv"
IDEAS = "/dashboard/riverside/ideas"
# #1 and #3 are one idea given twice, #2 shares their place but not their idea, #4 is #1 again.
GIVEN = [
    "more benches on the green",
    "clean the green",
    "Benches for the green, please!",
    "new benches on the green",
    "a youth club",
]


def _pairs() -> list[tuple[str, str, bool]]:
    with PAIRS.open(newline="") as file:
        return [(row["a"], row["b"], row["duplicate"] == "1") for row in csv.DictReader(file)]


def test_the_threshold_finds_duplicates_on_labelled_pairs(capsys, record_property):
    pairs = _pairs()
    assert len(pairs) >= 40 and {True, False} == {dup for _, _, dup in pairs}
    said = [(similarity(a, b) >= THRESHOLD, dup) for a, b, dup in pairs]
    found = sum(1 for shown, dup in said if shown and dup)
    precision = found / sum(1 for shown, _ in said if shown)
    recall = found / sum(1 for _, dup in said if dup)
    line = (
        f"duplicates: precision {precision:.2f} recall {recall:.2f} at threshold {THRESHOLD} "
        f"on {len(pairs)} pairs"
    )
    record_property("duplicates", line)
    with capsys.disabled():
        sys.stderr.write(f"\n{line}\n")
    assert precision >= 0.9 and recall >= 0.8, line


@pytest.mark.parametrize(
    "text, normal",
    [
        ("More BENCHES on the green, please!", "bench green"),
        ("Libraries' opening hours", "library open hour"),
        ("planting trees", "plant tree"),
        ("the", ""),
    ],
)
def test_texts_are_normalised_before_they_are_compared(text, normal):
    assert normalise(text) == normal


def test_duplicates_are_best_first_a_few_at_most_never_itself():
    found = likely_duplicates(
        [(n, "benches on the green") for n in range(1, 6)]
        + [(6, "benches by the green pond"), (7, "the"), (8, "of the")]
    )
    assert [d.number for d in found[1]] == [2, 3, 4]  # all 100: lower numbers first
    assert 1 not in [d.number for d in found[1]] and 7 not in found and 8 not in found
    assert all(d.score == 100 for d in found[1])


def test_pairs_without_a_common_word_are_scored_as_the_token_set_ratio_would():
    """The shortcut for them (a plain ratio) must agree with scoring every pair the slow way."""
    texts = [
        "benches green",
        "benchs grene",
        "bench grene",
        "litter bins",
        "liter bin",
        "bins",
        "youth club",
        "yuoth clubs",
        "street lights",
        "stret lites",
        "the",
        "grene bencs",
    ]
    ideas = list(enumerate(texts, start=1))
    normal = [normalise(t) for t in texts]
    slow = process.cdist(normal, normal, scorer=fuzz.token_set_ratio, dtype=np.uint8)
    expected = {
        n: sorted(
            (int(slow[n - 1, m - 1]), -m)
            for m in range(1, len(texts) + 1)
            if m != n and normal[n - 1] and normal[m - 1] and slow[n - 1, m - 1] >= THRESHOLD
        )[::-1][:MOST]
        for n in range(1, len(texts) + 1)
    }
    found = likely_duplicates(ideas)
    assert {n: [(d.score, -d.number) for d in found.get(n, [])] for n in expected} == expected
    assert [d.number for d in found[9]] == [10]  # typos, no word in common, still found


# What organisers see.


@pytest.fixture
def given(member, db, clock):
    """GIVEN as ideas #1-#5 (#4 from a second resident), then #2 rejected: no longer a candidate
    (and "a youth club" has no duplicate)."""
    other = Chat(db, clock, "riverside", "+447700900456")
    other.say("hi")
    other.say("YES")
    for number, text in enumerate(GIVEN, start=1):
        (other if number == 4 else member).say(f"IDEA {text}")
        (other if number == 4 else member).say("£1k")
    return member, other


def _shown(rows) -> dict[int, list[tuple[int, int]]]:
    return {r["number"]: [(d["number"], d["score"]) for d in r["duplicates"]] for r in rows}


def test_ideas_list_shows_likely_duplicates_in_json_and_table(cp, given):
    result = cp("ideas", "list", "--community", "riverside", "--json")
    assert result.exit_code == 0, result.output
    shown = _shown(json.loads(result.output))
    assert shown == {5: [], 4: [(1, 100), (3, 100)], 3: [(1, 100), (4, 100)], 2: [], 1: [(3, 100), (4, 100)]}
    table = cp("ideas", "list", "--community", "riverside").output.splitlines()
    assert table[0].split() == ["#", "STATUS", "COST", "LIKE", "IDEA"]
    (row,) = [line for line in table if line.startswith("3 ")]
    assert "#1 (100) #4 (100)" in row and "Benches for the green" in row
    (alone,) = [line for line in table if line.startswith("2 ")]
    assert "  -  " in alone  # "clean the green" shares words, yet is another idea


def test_only_ideas_that_can_still_be_merged_are_candidates(cp, given):
    assert (
        cp("ideas", "reject", "--community", "riverside", "4", "--reason", "Same as #1", "--yes").exit_code
        == 0
    )
    shown = _shown(json.loads(cp("ideas", "list", "--community", "riverside", "--json").output))
    assert shown[4] == [] and shown[1] == [(3, 100)] and shown[3] == [(1, 100)]
    assert cp("ideas", "merge", "--community", "riverside", "3", "--into", "1").exit_code == 0
    shown = _shown(json.loads(cp("ideas", "list", "--community", "riverside", "--json").output))
    assert shown == {5: [], 4: [], 3: [], 2: [], 1: []}


def test_the_api_lists_each_ideas_duplicates(cp, client, given):
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
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/communities/riverside/ideas", headers=auth).get_json()
    assert _shown(body["ideas"])[1] == [(3, 100), (4, 100)] and _shown(body["ideas"])[2] == []
    assert body["ideas"][0]["duplicates"] == []  # #5, newest first
    one = client.get("/api/v1/communities/riverside/ideas?status=submitted", headers=auth).get_json()
    assert all(isinstance(i["duplicates"], list) for i in one["ideas"])


@pytest.fixture
def signed_in(app, clock, client, given):
    make_organiser(app, clock)
    sign_in(client)
    return client


def test_the_ideas_page_shows_duplicates_and_merges_with_one_button(signed_in, given, db):
    member, other = given
    page = html.unescape(signed_in.get(IDEAS).get_data(as_text=True))
    card = page[page.index('id="idea-3"') : page.index('id="idea-2"')]
    assert "Likely duplicates" in card and "more benches on the green" in card
    assert "(similarity 100 of 100)" in card and "Merge #3 into #1" in card
    assert "Likely duplicates" not in page[page.index('id="idea-2"') : page.index('id="idea-1"')]
    assert "Merge #4 into #1" in page[page.index('id="idea-4"') : page.index('id="idea-3"')]

    response = post(signed_in, f"{IDEAS}/4/merge", page=IDEAS, into="1")
    assert response.status_code in (302, 303)
    with db.transaction() as session:
        assert idea_by_number(session, by_slug(session, "riverside"), 4).status == "merged"
    assert other.inbox() == ["Your idea #4 was joined with a similar idea, #1, and you are credited for it."]
    page = html.unescape(signed_in.get(IDEAS).get_data(as_text=True))
    assert "Idea #4 merged into #1." in page and "Merge #4 into #1" not in page
    assert "Merge #3 into #1" in page


def test_the_button_keeps_a_shortlisted_idea_and_a_filtered_page_still_offers_it(signed_in, cp):
    assert cp("ideas", "shortlist", "--community", "riverside", "3").exit_code == 0
    page = html.unescape(signed_in.get(IDEAS + "?status=submitted").get_data(as_text=True))
    assert 'id="idea-3"' not in page  # filtered out, yet the pair is offered from #1's card
    card = page[page.index('id="idea-1"') :]
    assert "Merge #1 into #3" in card and "Benches for the green, please!" in card
    assert 'action="/dashboard/riverside/ideas/1/merge"' in card
    listed = json.loads(
        cp("ideas", "list", "--community", "riverside", "--status", "submitted", "--json").output
    )
    assert _shown(listed)[1] == [(3, 100), (4, 100)]  # #3, shortlisted, is not listed but found


def test_words_in_other_scripts_are_whole_words_with_or_without_accents():
    from bot.domain.duplicates import THRESHOLD, similarity

    assert similarity("nowa ścieżka", "nowa łąka") < THRESHOLD  # not "nowa" + stray letters
    assert similarity("ścieżka rowerowa", "łąka") < THRESHOLD
    assert similarity("ławki w parku", "Lawki w parku prosze") >= THRESHOLD


def test_an_idea_merged_twice_tells_its_author_where_it_ended_up(cp, given):
    """#4 joined #3, then #3 joined #1: #4's author was told of #3, which is no longer an idea of
    its own, and never of #1."""
    member, other = given
    assert cp("ideas", "merge", "--community", "riverside", "4", "--into", "3").exit_code == 0
    assert other.inbox() == ["Your idea #4 was joined with a similar idea, #3, and you are credited for it."]
    result = cp("ideas", "merge", "--community", "riverside", "3", "--into", "1")
    assert result.exit_code == 0, result.output
    assert other.inbox() == ["Your idea #4 was joined with a similar idea, #1, and you are credited for it."]
    assert member.inbox()[-1].startswith("Your idea #3 was joined with a similar idea, #1,")
