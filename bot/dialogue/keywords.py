"""Keywords residents type, read generously: any case, accents or none, spaces and punctuation
around them, in every language the community offers."""

import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.text.clean import fold
from bot.text.languages import language_named

# Twilio's own opt-out and opt-in words, so we behave the same with or without its Advanced Opt-Out.
OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
OPT_IN = ("START", "UNSTOP", "YES")

# Per language, each word and the command it means. Words are compared with accents removed
# ("USUŃ" and "USUN" are one word); the first word of each command is the one our texts use.
KEYWORDS_BY_LANGUAGE: dict[str, dict[str, str]] = {
    "en": {
        **{word: "stop" for word in OPT_OUT},
        **{word: "start" for word in OPT_IN},
        "Y": "start",
        "HELP": "help",
        "INFO": "help",
        "MENU": "help",
        "IDEA": "idea",
        "IDEAS": "idea",
        "BUDGET": "budget",
        "MONEY": "budget",
        "MY IDEAS": "my_ideas",
        "MYIDEAS": "my_ideas",
        "MY IDEA": "my_ideas",
        "DELETE": "delete",
        "ERASE": "delete",
        "NO": "no",
        "N": "no",
        "SKIP": "skip",
        "VOTE": "vote",
        "OPTIONS": "options",
        "OPTION": "options",
        "RESULTS": "results",
        "RESULT": "results",
        "TOGGLE": "toggle",
        "SUBMIT": "submit",
        "LANGUAGE": "language",
        "LANG": "language",
        "PROJECT": "project",
        "PROJECTS": "project",
        "CHANNEL": "channel",
        "MY DATA": "my_data",
        "MYDATA": "my_data",
    },
    "cy": {
        "STOP": "stop",
        "STOPIO": "stop",
        "IE": "start",
        "DECHRAU": "start",
        "YMUNO": "start",
        "CYMORTH": "help",
        "HELP": "help",
        "DEWISLEN": "help",
        "SYNIAD": "idea",
        "SYNIADAU": "idea",
        "CYLLIDEB": "budget",
        "ARIAN": "budget",
        "FY SYNIADAU": "my_ideas",
        "FY SYNIAD": "my_ideas",
        "DILEU": "delete",
        "NA": "no",
        "NAC OES": "no",
        "NAGE": "no",
        "HEPGOR": "skip",
        "PLEIDLAIS": "vote",
        "PLEIDLEISIO": "vote",
        "OPSIYNAU": "options",
        "OPSIWN": "options",
        "DEWISIADAU": "options",  # the texts' word until the review chose OPSIYNAU: still understood
        "DEWISIAD": "options",
        "CANLYNIADAU": "results",
        "CANLYNIAD": "results",
        "ANFON": "submit",
        "IAITH": "language",
        "PROSIECT": "project",
        "PROSIECTAU": "project",
        "SIANEL": "channel",
        "FY NATA": "my_data",
        "FY DATA": "my_data",
    },
    "pl": {
        "STOP": "stop",
        "TAK": "start",
        "START": "start",
        "POMOC": "help",
        "MENU": "help",
        "POMYSŁ": "idea",
        "POMYSŁY": "idea",
        "BUDŻET": "budget",
        "PIENIĄDZE": "budget",
        "MOJE POMYSŁY": "my_ideas",
        "MÓJ POMYSŁ": "my_ideas",
        "USUŃ": "delete",
        "NIE": "no",
        "POMIŃ": "skip",
        "GŁOSUJ": "vote",
        "GŁOS": "vote",
        "OPCJE": "options",
        "OPCJA": "options",
        "WYNIKI": "results",
        "WYNIK": "results",
        "WYŚLIJ": "submit",
        "JĘZYK": "language",
        "PROJEKT": "project",
        "PROJEKTY": "project",
        "KANAŁ": "channel",
        "MOJE DANE": "my_data",
    },
}
# Words that are commands only when they are the whole message, as carriers treat opt-out and
# help words: "Stop cars parking on the pavement" is an idea, "end of the road" no opt-out.
ALONE_ONLY_BY_COMMAND = ("stop", "help", "no", "skip", "options", "results", "submit")
ALONE_ONLY_WORDS = {"Y", "MONEY", "ARIAN", "PIENIĄDZE"}
# A thank-you or a nod needs no answer, and an SMS answer would cost money.
THANKS = {
    "THANKS",
    "THANK YOU",
    "THANKYOU",
    "THANKS A LOT",
    "THANK YOU SO MUCH",
    "TA",
    "CHEERS",
    "THX",
    "OK",
    "OKAY",
    "OK THANKS",
    "OK THANK YOU",
    "GREAT THANKS",
    "LOVELY",
    "DIOLCH",
    "DIOLCH YN FAWR",
    "DIOLCH I CHI",
    "IAWN",
    "GRET",
    "DZIĘKUJĘ",
    "DZIĘKI",
    "DZIĘKUJĘ BARDZO",
    "OKEJ",
    "SUPER",
    "DOBRZE",
}
# What people say when they cannot put a figure on it: at the cost question, a SKIP.
NOT_SURE = {
    "NOT SURE",
    "DONT KNOW",
    "DON'T KNOW",
    "DO NOT KNOW",
    "NO IDEA",
    "UNSURE",
    "DUNNO",
    "NOT A CLUE",
    "NO CLUE",
    "DIM SYNIAD",
    "DDIM YN SIŴR",
    "DDIM YN SIWR",
    "DWI DDIM YN GWYBOD",
    "SA I'N GWYBOD",
    "NIE WIEM",
    "NIE JESTEM PEWIEN",
    "NIE JESTEM PEWNA",
    "TRUDNO POWIEDZIEĆ",
}
_PUNCTUATION = string.punctuation + "¡¿…“”‘’"


@dataclass(frozen=True)
class Command:
    keyword: str | None  # canonical name ("stop", "idea", ...) or None
    rest: str  # the text after the keyword, as typed; the whole text when no keyword


@dataclass(frozen=True)
class _Words:
    commands: dict[str, str]
    alone_only: frozenset[str]


def _words(languages: tuple[str, ...]) -> _Words:
    commands: dict[str, str] = {}
    for language in ("en", *languages):  # English words work everywhere, as STOP must
        for word, command in KEYWORDS_BY_LANGUAGE.get(language, {}).items():
            commands.setdefault(fold(word), command)
    for language_words in KEYWORDS_BY_LANGUAGE.values():  # IAITH, JĘZYK: a way out, in any
        for word, command in language_words.items():
            if command == "language":
                commands.setdefault(fold(word), command)
    alone = {word for word, command in commands.items() if command in ALONE_ONLY_BY_COMMAND}
    return _Words(commands, frozenset(alone | {fold(w) for w in ALONE_ONLY_WORDS}))


_CACHE: dict[tuple[str, ...], _Words] = {}
_THANKS = {fold(w) for w in THANKS}
_NOT_SURE = {fold(w) for w in NOT_SURE}


def _a_page(keyword: str, rest: list[str]) -> bool:
    """OPTIONS 2 (a page) and SUBMIT @12 (a button's round): the alone-only words that may
    take one word after them."""
    if len(rest) != 1 or not rest[0].isascii():
        return False
    word = rest[0]
    return (keyword == "options" and word.isdigit()) or (
        keyword == "submit" and word.startswith("@") and word[1:].isdigit()
    )


def parse(text: str, languages: Iterable[str] = ("en",)) -> Command:
    """Split a message into a keyword and the rest ("idea: more benches" -> idea, "more benches"),
    knowing the words of English and of each of `languages`."""
    key = tuple(languages)
    if key not in _CACHE:
        _CACHE[key] = _words(key)
    words_of = _CACHE[key]
    stripped = text.strip()
    words = stripped.split()
    for length in (2, 1):
        if len(words) < length:
            continue
        head = fold(" ".join(w.strip(_PUNCTUATION) for w in words[:length]))
        keyword = words_of.commands.get(head)
        if keyword is None or (
            head in words_of.alone_only and len(words) > length and not _a_page(keyword, words[length:])
        ):
            continue
        rest = stripped
        for word in words[:length]:
            rest = rest[rest.index(word) + len(word) :]
        return Command(keyword, rest.strip().lstrip(_PUNCTUATION).strip())
    whole = fold(stripped.strip(_PUNCTUATION))
    if whole in words_of.commands:  # "stop!!!" is one word with punctuation
        return Command(words_of.commands[whole], "")
    if language_named(stripped):  # "Cymraeg", "polski": a language asked for by name
        return Command("language", stripped)
    plain_words = fold(" ".join(w.strip(_PUNCTUATION) for w in words))
    if plain_words in _NOT_SURE:
        return Command("skip", "")
    if plain_words in _THANKS or (stripped and all(_is_emoji(c) for c in stripped)):
        return Command("thanks", "")
    return Command(None, stripped)


def _is_emoji(char: str) -> bool:
    """A pictograph, its modifiers and joiners, or a space between them ("👍", "🙂👍🏽")."""
    return unicodedata.category(char) in ("So", "Sk", "Cf", "Zs", "Mn") or char in "\ufe0f\u200d"
