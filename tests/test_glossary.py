"""Every Welsh and Polish text against its language's glossary (bot/text/locale/glossary.toml):
one word for each term, one register, the reviewers' findings kept fixed, and the keywords a
text names are the reader's own (IAITH, JĘZYK, CYMORTH), as bot/dialogue/keywords.py has them."""

import gettext
import importlib.util
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.dialogue.keywords import KEYWORDS_BY_LANGUAGE, OPT_IN, OPT_OUT, parse
from bot.text.catalogue import CATALOGUE, LOCALE_DIR, PLURALS, SPOKEN
from bot.text.clean import fold
from bot.text.languages import language_named

TRANSLATED = ["cy", "pl"]
GLOSSARY = tomllib.loads((Path(LOCALE_DIR) / "glossary.toml").read_text(encoding="utf-8"))
KEY_OF = {entry.text: key for key, entry in {**CATALOGUE, **PLURALS, **SPOKEN}.items()}
# The carriers' own opt-out and opt-in words: after a STOP, only these restart an SMS
# conversation (Twilio blocks our reply to DECHRAU), so every language names START and STOP.
CARRIER_WORDS = {fold(word) for word in (*OPT_OUT, *OPT_IN)}
# Texts that point at a Telegram button name it as the button reads.
BUTTONS_NAMED = {"vote_selection": "button_submit", "vote_selection_empty": "button_submit"}
CHANNELS = ("SMS", "Telegram")
# The terms issue 27 asks every glossary to fix, and its register.
REQUIRED_TERMS = {"idea", "option", "vote", "round", "budget", "funded", "not funded", "project", "news"}


@dataclass(frozen=True)
class Text:
    key: str
    english: str  # the msgid, with its plural
    forms: tuple[str, ...]  # every msgstr
    checked_forms: tuple[str, ...]  # less a form used for zero alone (Welsh: "no supporters")


def texts(language: str, po: bytes | None = None) -> list[Text]:
    """The translations of `language` (or of the .po bytes `po`), one per catalogue key."""
    path = Path(LOCALE_DIR) / language / "LC_MESSAGES" / "messages.po"
    catalog = read_po(io.BytesIO(po if po is not None else path.read_bytes()), locale=language)
    plural = gettext.c2py(catalog.plural_expr)
    used_by = {form: [n for n in range(200) if plural(n) == form] for form in range(catalog.num_plurals)}
    zero_only = {form for form, numbers in used_by.items() if numbers == [0]}
    found = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            forms = tuple(message.string)
            english = " ".join(message.id)
            checked = tuple(f for i, f in enumerate(forms) if i not in zero_only)
            key = KEY_OF[message.id[0]]
        else:
            forms = checked = (message.string,)
            english, key = message.id, KEY_OF[message.id]
        found.append(Text(key, english, forms, checked))
    return found


def _without_placeholders(text: str) -> str:
    return re.sub(r"\{[^}]*\}", " ", text)


def _without_capitals(text: str) -> str:
    """The text less its words in capitals (keywords, which the keyword test reads)."""
    return re.sub(r"\b[^\W\d_]{2,}\b", lambda m: " " if m.group().isupper() else m.group(), text)


def _starts_a_word(form: str, text: str) -> bool:
    """`form` begins a word of `text` (any case): "pleidl" in "Pleidleisiwch"."""
    return re.search(r"(?<!\w)" + re.escape(form), text, re.IGNORECASE) is not None


def _whole(phrase: str, text: str, match_case: bool = False) -> bool:
    """`phrase` in `text` as whole words (placeholders and punctuation taken as they are)."""
    before = r"(?<!\w)" if phrase[0].isalnum() else ""
    after = r"(?!\w)" if phrase[-1].isalnum() else ""
    flags = 0 if match_case else re.IGNORECASE
    return re.search(before + re.escape(phrase) + after, text, flags) is not None


def _english_has(words: list[str], english: str) -> bool:
    english = _without_placeholders(english)
    return any(re.search(rf"\b{re.escape(w)}\b", english, re.IGNORECASE) for w in words)


def untranslated_terms(language: str, found: list[Text]) -> list[tuple[str, str]]:
    """(key, English word) where a translation leaves a glossary term in English."""
    wrong = []
    for text in found:
        for form in text.forms:
            plain = _without_capitals(_without_placeholders(form))
            for term in GLOSSARY[language]["terms"]:
                wrong += [(text.key, w) for w in term["english"] if re.search(rf"\b{w}\b", plain, re.I)]
    return sorted(set(wrong))


def missing_terms(language: str, found: list[Text]) -> list[tuple[str, str]]:
    """(key, term) where the English has a term and a translation has none of its words."""
    wrong = []
    for text in found:
        for term in GLOSSARY[language]["terms"]:
            if not _english_has(term["english"], text.english):
                continue
            for form in text.checked_forms:
                if not any(_starts_a_word(word, form) for word in term["use"]):
                    wrong.append((text.key, term["term"]))
    return sorted(set(wrong))


def second_words(language: str, found: list[Text]) -> list[tuple[str, str]]:
    """(key, word) where a text uses a word the glossary rules out for a term."""
    wrong = []
    for text in found:
        for term in GLOSSARY[language]["terms"]:
            for word in term.get("avoid", []):
                wrong += [(text.key, word) for form in text.forms if _starts_a_word(word, form)]
    return sorted(set(wrong))


def avoided_phrasings(language: str, found: list[Text]) -> list[tuple[str, str, str]]:
    """(key, phrase, why) for each word or phrasing the glossary rules out, where it is used."""
    wrong = []
    for text in found:
        for rule in GLOSSARY[language]["avoid"]:
            if any(_whole(rule["text"], form, rule.get("match_case", False)) for form in text.forms):
                wrong.append((text.key, rule["text"], rule["why"]))
    return sorted(set(wrong))


def named_keywords(language: str, form: str) -> list[str]:
    """The words in capitals a text names, two-word keywords ("FY SYNIADAU") kept whole."""
    commands = {fold(word) for word in KEYWORDS_BY_LANGUAGE[language]}
    words = list(re.finditer(r"\b[^\W\d_]{2,}\b", _without_placeholders(form)))
    named, i = [], 0
    while i < len(words):
        word = words[i].group()
        if not word.isupper():
            i += 1
            continue
        if i + 1 < len(words) and words[i + 1].group().isupper():
            pair = f"{word} {words[i + 1].group()}"
            gap = _without_placeholders(form)[words[i].end() : words[i + 1].start()]
            if gap.isspace() and fold(pair) in commands:
                named.append(pair)
                i += 2
                continue
        named.append(word)
        i += 1
    return named


def wrong_keywords(language: str, found: list[Text]) -> list[tuple[str, str, str]]:
    """(key, word, why) for each keyword named that the reader's language does not use."""
    own = KEYWORDS_BY_LANGUAGE[language]
    commands = {fold(word): command for word, command in own.items()}
    text_word = {}
    for word, command in own.items():  # the first word of each command is the one texts name
        text_word.setdefault(command, fold(word))
    not_keywords = set(GLOSSARY[language]["not_keywords"])
    wrong = []
    for text in found:
        for form in text.forms:
            for word in named_keywords(language, form):
                folded = fold(word)
                if word in not_keywords or folded in CARRIER_WORDS or language_named(word):
                    continue
                if folded not in commands:
                    wrong.append((text.key, word, f"not a keyword in {language}"))
                elif text_word[commands[folded]] != folded:
                    wrong.append((text.key, word, f"the texts name {text_word[commands[folded]].upper()}"))
    return sorted(set(wrong))


def channels_named(language: str, found: list[Text]) -> list[tuple[str, str]]:
    """(key, channel) where a translation names a channel its English does not."""
    return [
        (text.key, channel)
        for text in found
        for channel in CHANNELS
        if channel not in text.english and any(channel.lower() in f.lower() for f in text.forms)
    ]


def named_buttons(language: str, found: list[Text]) -> list[tuple[str, str]]:
    """(key, label) where a text pointing at a button does not name it as the button reads."""
    by_key = {text.key: text for text in found}
    return [
        (key, by_key[button].forms[0])
        for key, button in BUTTONS_NAMED.items()
        if not all(by_key[button].forms[0] in form for form in by_key[key].forms)
    ]


# --- The glossary itself ------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_glossary_fixes_the_terms_and_the_register(language):
    glossary = GLOSSARY[language]
    assert {term["term"] for term in glossary["terms"]} >= REQUIRED_TERMS
    assert glossary["register"].strip()
    for term in glossary["terms"]:
        assert term["use"], term["term"]


# --- Every msgstr against it --------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_listed_english_term_is_left_untranslated(language):
    assert not untranslated_terms(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_term_the_english_names_is_translated_with_the_glossarys_word(language):
    """help's "funded projects", my_ideas_more's "older", the supporters' "left": kept."""
    assert not missing_terms(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_second_word_where_the_glossary_fixes_one(language):
    """Welsh "dewisiad" beside "opsiwn"; Polish "nie dostał pieniędzy" beside "sfinansowany"."""
    assert not second_words(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_one_register_and_the_reviewers_findings_stay_fixed(language):
    assert not avoided_phrasings(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_texts_name_the_readers_own_keywords(language):
    """IAITH, not LANGUAGE; CYMORTH, not HELP; each the word keywords.py lists first."""
    assert not wrong_keywords(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_keyword_a_text_names_is_understood_in_that_language(language):
    """A resident who sends back the word a text told them to send is answered."""
    not_keywords = set(GLOSSARY[language]["not_keywords"])
    named = {w for text in texts(language) for f in text.forms for w in named_keywords(language, f)}
    assert named >= {"cy": {"IAITH", "CYMORTH", "OPSIYNAU"}, "pl": {"JĘZYK", "POMOC", "OPCJE"}}[language]
    for word in named - not_keywords:
        assert parse(word, (language,)).keyword is not None, word


def test_welsh_options_have_one_word_and_the_old_one_is_still_understood():
    assert parse("OPSIYNAU", ("cy",)).keyword == parse("DEWISIADAU", ("cy",)).keyword == "options"
    assert parse("OPSIYNAU 2", ("cy",)).keyword == "options"
    assert parse("CYMORTH", ("cy",)).keyword == parse("HELP", ("cy",)).keyword == "help"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_text_names_a_channel_its_english_does_not(language):
    """Polish help said "koniec SMS" on Telegram too."""
    assert not channels_named(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_text_pointing_at_a_button_names_it_as_it_reads(language):
    """Polish said WYŚLIJ, in capitals, for the button "Wyślij mój głos"."""
    assert not named_buttons(language, texts(language))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_po_header_still_asks_for_a_native_speakers_review(language):
    """Until a native speaker has signed a translation off (README.md, Languages)."""
    po = (Path(LOCALE_DIR) / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert "please have a native\n# speaker review it" in po


# --- The checks catch what the review found -----------------------------------------------


def _with(language: str, key: str, old: str, new: str) -> list[Text]:
    """The translations with one text changed back, as a scratch copy."""
    changed = []
    for text in texts(language):
        if text.key == key:
            assert any(old in f for f in text.forms), (key, old)
            forms = tuple(f.replace(old, new) for f in text.forms)
            text = Text(key, text.english, forms, tuple(f.replace(old, new) for f in text.checked_forms))
        changed.append(text)
    return changed


@pytest.mark.parametrize(
    "language, key, old, new, check",
    [
        ("cy", "language_withdrawn", "IAITH", "LANGUAGE", wrong_keywords),
        ("cy", "language_withdrawn", "mewn iaith arall", "yn yr iaith hon", avoided_phrasings),
        ("cy", "my_ideas_more", "({count} cynharach:", "(Mwy: {count}.", missing_terms),
        ("cy", "round_open", "Mae'r bleidlais yn cau", "Pleidleisio'n cau", avoided_phrasings),
        ("cy", "vote_closed_counting", "pleidlais {title}", "bleidlais ar {title}", avoided_phrasings),
        ("cy", "how_budget", "cyfanswm o {budget} neu lai", "{budget} neu lai i gyd", avoided_phrasings),
        ("cy", "idea_shortlisted", "a'i gost yw", "am gost o", avoided_phrasings),
        ("cy", "vote_choose_one", "opsiwn", "dewisiad", second_words),
        ("cy", "vote_choose_one", "OPSIYNAU", "DEWISIADAU", wrong_keywords),
        ("cy", "fallback", "CYMORTH", "HELP", wrong_keywords),
        ("cy", "postcode_invalid", "Mae'n ddrwg gennym", "Sori", avoided_phrasings),
        (
            "pl",
            "my_ideas_none",
            "Nie masz jeszcze zgłoszonych pomysłów",
            "Nie masz jeszcze pomysłów",
            avoided_phrasings,
        ),
        ("pl", "help", "PROJEKT - co sfinansowano", "PROJEKT - projekty", missing_terms),
        ("pl", "help", "STOP - rezygnacja", "STOP - koniec SMS", channels_named),
        ("pl", "vote_selection", "naciśnij „Wyślij mój głos”", "WYŚLIJ", named_buttons),
        ("pl", "joined", "sprawdzić budżet", "zobaczyć pieniądze", second_words),
        ("pl", "idea_not_funded_shares", "zostało razem {left}", "miały razem {left}", missing_terms),
        ("pl", "fallback_voting", "opcje i sposób głosowania", "opcje i jak głosować", avoided_phrasings),
        ("pl", "idea_ask_cost", "by to kosztowało", "by kosztował", avoided_phrasings),
        ("pl", "idea_not_funded", "nie został sfinansowany", "nie dostał pieniędzy", missing_terms),
        ("pl", "status_not_funded", "niesfinansowany", "bez finansowania", second_words),
        ("pl", "language_withdrawn", "JĘZYK", "LANGUAGE", wrong_keywords),
        ("pl", "postcode_invalid", "Przepraszamy", "Przepraszam", avoided_phrasings),
        ("pl", "ask_postcode", "Dziękujemy", "Dzięki", avoided_phrasings),
        ("pl", "welcome", "Witaj", "Cześć", avoided_phrasings),
    ],
)
def test_each_finding_of_the_review_fails_its_check_when_brought_back(language, key, old, new, check):
    assert not check(language, texts(language))
    assert check(language, _with(language, key, old, new))


def test_a_spreadsheet_round_trip_leaves_the_catalogues_unchanged(tmp_path):
    """Export for a reviewer, import unchanged: the .po is byte for byte what it was."""
    spec = importlib.util.spec_from_file_location("spreadsheet", Path(LOCALE_DIR) / "spreadsheet.py")
    assert spec and spec.loader
    spreadsheet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(spreadsheet)
    for language in TRANSLATED:
        path = spreadsheet.po_path(language)
        exported = io.StringIO()
        spreadsheet.export(path, language, exported)
        exported.seek(0)
        target = tmp_path / f"{language}.po"
        spreadsheet.import_(path, language, exported, target)
        assert target.read_bytes() == path.read_bytes(), language
        # A reviewer's change comes back into the .po, and their note with it.
        rows = exported.getvalue().replace("Diolch!", "Diolch yn fawr!", 1)
        spreadsheet.import_(path, language, io.StringIO(rows), target)
        if language == "cy":
            assert b"Diolch yn fawr!" in target.read_bytes()
