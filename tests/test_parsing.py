"""What residents and organisers type: keywords, money and postcodes."""

import pytest

from bot.dialogue.keywords import parse
from bot.domain.postcode import Postcode, in_areas, normalise_area, parse_postcode
from bot.text.money import format_pence, parse_amount


@pytest.mark.parametrize(
    "text, keyword, rest",
    [
        ("STOP", "stop", ""),
        ("  stop!! ", "stop", ""),
        ("Stop.", "stop", ""),
        ("IDEA more benches", "idea", "more benches"),
        ("idea: More Benches", "idea", "More Benches"),
        ("my ideas", "my_ideas", ""),
        ("MY  IDEAS?", "my_ideas", ""),
        ("myideas", "my_ideas", ""),
        ("budget", "budget", ""),
        ("yes please", "start", "please"),
        ("HELP", "help", ""),
        ("end of the road needs lights", None, "end of the road needs lights"),
        ("cancel", "stop", ""),
        ("no", "no", ""),
        ("no way", None, "no way"),
        ("", None, ""),
        ("🙂", "thanks", ""),
        ("ideal", None, "ideal"),
        ("thanks!", "thanks", ""),
        ("not sure", "skip", ""),
        ("ok so what about the park", None, "ok so what about the park"),
    ],
)
def test_keywords(text, keyword, rest):
    command = parse(text)
    assert (command.keyword, command.rest) == (keyword, rest)


@pytest.mark.parametrize(
    "text, pence",
    [
        ("500", 50_000),
        ("£500", 50_000),
        ("£2k", 200_000),
        ("2K", 200_000),
        ("2,500", 250_000),
        ("£1.5m", 150_000_000),
        ("120.50", 12_050),
        ("50p", 50),
        ("about 300", 30_000),
        ("£ 2,000.00", 200_000),
        ("300 pounds", 30_000),
    ],
)
def test_amounts(text, pence):
    assert parse_amount(text) == pence


@pytest.mark.parametrize(
    "text",
    ["", "lots", "0", "-5", "£", "1.234", "2.5p", "1e9", "999999999999", "five hundred", "500 or so", "1 3"],
)
def test_not_amounts(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "pence, shown",
    [
        (0, "£0"),
        (50, "£0.50"),
        (1_150_000_00, "£1,150,000"),
        (12_050, "£120.50"),
        (-500, "-£5"),
    ],
)
def test_money_is_shown_in_pounds_with_separators(pence, shown):
    assert format_pence(pence) == shown


def test_postcodes():
    assert parse_postcode("e1 6an") == Postcode("E1", "E1 6")
    assert parse_postcode("SW1A1AA") == Postcode("SW1A", "SW1A 1")
    assert parse_postcode("E1") == Postcode("E1", None)
    assert parse_postcode("near the church") is None
    assert parse_postcode("12345") is None


def test_postcode_areas():
    assert normalise_area(" e1 ") == "E1"
    assert normalise_area("e2 7") == "E2 7"
    assert normalise_area("E2 7AB") is None
    areas = ["E1", "E2 7"]
    assert in_areas(parse_postcode("E1 6AN"), areas) is True
    assert in_areas(parse_postcode("E2 7QX"), areas) is True
    assert in_areas(parse_postcode("E2 6QX"), areas) is False
    assert in_areas(parse_postcode("E2"), areas) is None
    assert in_areas(parse_postcode("E14"), areas) is False
