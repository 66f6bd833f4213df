"""The message catalogue: every text fits its declared SMS budget and is ready to translate."""

import importlib.util
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.text.catalogue import (
    CATALOGUE,
    FREE_TEXT,
    LOCALE_DIR,
    PLACEHOLDER_MAX,
    PLURALS,
    SPOKEN,
    render,
    shipped_languages,
)
from channels.segments import count_segments

ROOT = Path(__file__).resolve().parent.parent


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_fits_its_budget_with_the_longest_values(key):
    entry = CATALOGUE[key]
    values = {name: "W" * PLACEHOLDER_MAX[name] for name in _placeholders(entry.text)}
    text = render(key, **values)
    assert count_segments(text).segments <= entry.segments, text


@pytest.mark.parametrize(
    "key", sorted(k for k, e in CATALOGUE.items() if set(_placeholders(e.text)) & set(FREE_TEXT))
)
def test_free_text_in_any_script_is_shortened_to_fit(key):
    entry = CATALOGUE[key]
    values = {
        name: ("ŵ🙂" * 200 if name in FREE_TEXT else "W" * PLACEHOLDER_MAX[name])
        for name in _placeholders(entry.text)
    }
    text = render(key, **values)
    assert count_segments(text).segments <= entry.segments, text


def test_every_placeholder_has_a_maximum_length():
    for entry in CATALOGUE.values():
        for name in _placeholders(entry.text):
            assert name in PLACEHOLDER_MAX, name


def test_the_message_template_holds_every_catalogue_text():
    with open(Path(LOCALE_DIR) / "messages.pot", "rb") as handle:
        template = read_po(handle)
    assert {entry.text for entry in {**CATALOGUE, **SPOKEN}.values()} <= {m.id for m in template if m.id}


def test_english_messages_are_plain_gsm7_so_they_stay_cheap():
    for key, entry in CATALOGUE.items():
        assert count_segments(entry.text).encoding == "GSM-7", key


# --- Translations: Welsh and Polish, in full, within budget -------------------------------

TRANSLATED = ["cy", "pl"]
SENT = {**CATALOGUE, **PLURALS}  # what goes by SMS, and so has a segment budget
EVERY = {**SENT, **SPOKEN}


def _po(language: str):
    with open(Path(LOCALE_DIR) / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def test_english_welsh_and_polish_are_shipped():
    assert shipped_languages() == ["en", *sorted(TRANSLATED)]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_in_every_form_with_its_placeholders(language):
    catalog = _po(language)
    missing, broken = [], []
    for key, entry in EVERY.items():
        message = catalog.get(entry.text)
        forms = (
            (message.string if isinstance(message.string, tuple) else (message.string,)) if message else ("",)
        )
        if not all(forms) or (entry.plural and len(forms) != catalog.num_plurals):
            missing.append(key)
            continue
        english = set(_placeholders(entry.plural or entry.text))
        for form in forms:
            # Only known placeholders; the general form ("other", the last) has every one, where
            # a form for few may say less (Welsh zero: "it had no supporters", no sum left).
            if not set(_placeholders(form)) <= english:
                broken.append(key)
        if (
            set(_placeholders(forms[-1])) != english - ({entry.counted} if entry.plural else set())
            and set(_placeholders(forms[-1])) != english
        ):
            broken.append(key)
    assert not missing, f"{language}: no translation for {missing}"
    assert not broken, f"{language}: placeholders differ in {broken}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_translation_is_fuzzy_or_left_over(language):
    catalog = _po(language)
    texts = {e.text for e in EVERY.values()}
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy translations are not used"
    leftover = [m.id for m in catalog if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in texts]
    assert not leftover, f"{language}: texts no longer in the catalogue: {leftover}"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("key", sorted(SENT))
@pytest.mark.parametrize("count", [1, 2, 5, 22])
def test_every_translation_fits_its_budget_with_the_longest_values(language, key, count):
    """Letters outside GSM-7 (Polish ą, ł; Welsh ŵ, ŷ) make a text UCS-2, 70 characters a
    segment: a translation may take up to three segments, never more (options lists excepted,
    which have English's own budget)."""
    entry = SENT[key]
    values = {name: "W" * PLACEHOLDER_MAX[name] for name in _placeholders(entry.plural or entry.text)}
    if entry.plural:
        values[entry.counted] = count
    text = render(key, language, **values)
    template = entry.template(language, values)
    assert count_segments(text).segments <= entry.budget(template) <= max(entry.segments, 3), text


def test_what_each_language_costs_per_message(capsys):
    """The SMS segments each text costs in each language with typical values, printed for
    whoever sets a community's languages (Polish is UCS-2 throughout: it costs more)."""
    rows, totals = [], {language: 0 for language in ["en", *TRANSLATED]}
    for key, entry in sorted(CATALOGUE.items()):
        values = {name: "Wwwww" for name in _placeholders(entry.text)}
        costs = []
        for language in totals:
            counted = count_segments(render(key, language, **values))
            totals[language] += counted.segments
            costs.append(f"{counted.segments}{'u' if counted.encoding != 'GSM-7' else ''}")
        rows.append(f"{key:28} " + " ".join(f"{c:>4}" for c in costs))
    with capsys.disabled():
        print("\nSegments per message (u = UCS-2):", " ".join(f"{lang:>4}" for lang in totals))
        print("\n".join(rows))
        print("all texts, once each:", ", ".join(f"{lang} {n}" for lang, n in totals.items()))
    assert totals["en"] <= totals["cy"] and totals["en"] <= totals["pl"]


def test_building_the_package_compiles_every_translation(tmp_path):
    """The .po files are the source; building or installing the package (setup.py's build_py)
    writes their .mo files, which read the same as the .po."""
    spec = importlib.util.spec_from_file_location("package_setup", ROOT / "setup.py")
    package_setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package_setup)
    written = package_setup.compile_translations(tmp_path)
    assert sorted(p.parent.parent.name for p in written) == TRANSLATED
    for mo in written:
        with open(mo, "rb") as handle:
            built = Translations(handle, domain="messages")
        text = CATALOGUE["language_set"].text
        assert built.gettext(text) == _po(mo.parent.parent.name).get(text).string != text


def test_spoken_texts_are_said_whole_in_every_language():
    """The phone line's texts cost no segments: said in full, however long the values."""
    for language in ["en", *TRANSLATED]:
        for key, entry in SPOKEN.items():
            values = {name: "W" * 300 for name in _placeholders(entry.text)}
            assert "W" * 300 in render(key, language, **values) or not values, (language, key)
