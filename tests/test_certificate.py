"""The results certificate: a printable page per closed round with the rule, the tie-break
order, ballots by channel and on paper, turnout, each option's votes and cost, the winners and
the ballot file's hash; nothing before the round closes; one or two A4 pages on paper."""

import hashlib
import re

from tests.test_published_ballots import ROUND, closed, opened, site  # noqa: F401  (fixtures)

RESULT = ROUND + "/result"


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_certificate_shows_how_it_was_counted_and_what_won(client, closed):  # noqa: F811
    response = client.get(RESULT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "Results certificate: Park" in text
    assert "Rule Greedy: the options with most votes are funded first" in text
    assert "Ties Broken by more votes, then lower cost, then lower option number" in text
    # Ann (changed her vote) and Bob by message (the console stands in for a phone), P-1 on paper.
    assert "console 2 On paper 1 In all 3" in text
    assert "Turnout: 2 of 2 members voted by message (100%); paper ballots come on top." in text
    assert "1 benches £1,000 1 Funded" in text and "2 a mural £1,000 2 Funded" in text
    sha = hashlib.sha256(client.get(ROUND + "/ballots.pb").data).hexdigest()
    assert sha in page
    assert "+44" not in page and "7700900" not in page and closed["ann"] not in page
    assert "<script" not in page and "style=" not in page


def test_the_certificate_gives_the_records_seal_at_the_close(client, closed, cp):  # noqa: F811
    """The chain head at close: kept from the certificate, it checks the record later."""
    seal = re.search(r'id="record-seal">([0-9a-f]{64})<', client.get(RESULT).get_data(as_text=True))[1]
    checked = cp("audit", "verify", "--community", "riverside", "--seal", seal)
    assert checked.exit_code == 0, checked.output
    assert f"The seal {seal} is entry" in checked.output


def test_there_is_no_certificate_before_the_close(client, opened):  # noqa: F811
    assert client.get(RESULT).status_code == 404
    assert "certificate" not in client.get(ROUND).get_data(as_text=True)
    assert "If options tie, the winner is decided by more votes, then lower cost" in _text(
        client.get(ROUND).get_data(as_text=True)
    )


def test_the_certificate_prints_to_one_or_two_a4_pages(page, live_app, closed):  # noqa: F811
    from tests.browser import screenshot

    page.goto(live_app + RESULT)
    assert page.locator("h1").inner_text() == "Results certificate: Park"
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, pages
    screenshot(page, "round-result")
