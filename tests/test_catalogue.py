"""The message catalogue: every text fits its declared SMS budget and is ready to translate."""
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.text.catalogue import CATALOGUE, FREE_TEXT, LOCALE_DIR, PLACEHOLDER_MAX, render
from channels.segments import count_segments


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_fits_its_budget_with_the_longest_values(key):
    entry = CATALOGUE[key]
    values = {name: "W" * PLACEHOLDER_MAX[name] for name in _placeholders(entry.text)}
    text = render(key, **values)
    assert count_segments(text).segments <= entry.segments, text


@pytest.mark.parametrize("key", sorted(k for k, e in CATALOGUE.items()
                                       if set(_placeholders(e.text)) & set(FREE_TEXT)))
def test_free_text_in_any_script_is_shortened_to_fit(key):
    entry = CATALOGUE[key]
    values = {name: ("ŵ🙂" * 200 if name in FREE_TEXT else "W" * PLACEHOLDER_MAX[name])
              for name in _placeholders(entry.text)}
    text = render(key, **values)
    assert count_segments(text).segments <= entry.segments, text


def test_every_placeholder_has_a_maximum_length():
    for entry in CATALOGUE.values():
        for name in _placeholders(entry.text):
            assert name in PLACEHOLDER_MAX, name


def test_the_message_template_holds_every_catalogue_text():
    with open(Path(LOCALE_DIR) / "messages.pot", "rb") as handle:
        template = read_po(handle)
    assert {entry.text for entry in CATALOGUE.values()} <= {m.id for m in template if m.id}


def test_english_messages_are_plain_gsm7_so_they_stay_cheap():
    for key, entry in CATALOGUE.items():
        assert count_segments(entry.text).encoding == "GSM-7", key
