"""Keywords residents type, read generously: any case, spaces and punctuation around them."""
import string
import unicodedata
from dataclasses import dataclass

# Twilio's own opt-out and opt-in words, so we behave the same with or without its Advanced Opt-Out.
OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
OPT_IN = ("START", "UNSTOP", "YES")

KEYWORDS: dict[str, str] = {
    **{word: "stop" for word in OPT_OUT},
    **{word: "start" for word in OPT_IN},
    "Y": "start",
    "HELP": "help", "INFO": "help", "MENU": "help",
    "IDEA": "idea", "IDEAS": "idea",
    "BUDGET": "budget", "MONEY": "budget",
    "MY IDEAS": "my_ideas", "MYIDEAS": "my_ideas", "MY IDEA": "my_ideas",
    "DELETE": "delete", "ERASE": "delete",
    "NO": "no", "N": "no",
    "SKIP": "skip",
    "VOTE": "vote", "OPTIONS": "options", "OPTION": "options",
    "RESULTS": "results", "RESULT": "results",
    "TOGGLE": "toggle", "SUBMIT": "submit",
}
# Words that are commands only when they are the whole message, as carriers treat opt-out and
# help words: "Stop cars parking on the pavement" is an idea, "end of the road" no opt-out.
ALONE_ONLY = {*OPT_OUT, "HELP", "NO", "N", "Y", "INFO", "MENU", "MONEY", "SKIP", "OPTIONS",
              "OPTION", "RESULTS", "RESULT", "SUBMIT"}
# A thank-you or a nod needs no answer, and an SMS answer would cost money.
THANKS = {"THANKS", "THANK YOU", "THANKYOU", "THANKS A LOT", "THANK YOU SO MUCH", "TA", "CHEERS",
          "THX", "OK", "OKAY", "OK THANKS", "OK THANK YOU", "GREAT THANKS", "LOVELY"}
# What people say when they cannot put a figure on it: at the cost question, a SKIP.
NOT_SURE = {"NOT SURE", "DONT KNOW", "DON'T KNOW", "DO NOT KNOW", "NO IDEA", "UNSURE", "DUNNO",
            "NOT A CLUE", "NO CLUE"}
_PUNCTUATION = string.punctuation + "¡¿…“”‘’"


@dataclass(frozen=True)
class Command:
    keyword: str | None  # canonical name ("stop", "idea", ...) or None
    rest: str  # the text after the keyword, as typed; the whole text when no keyword


def parse(text: str) -> Command:
    """Split a message into a keyword and the rest ("idea: more benches" -> idea, "more benches")."""
    stripped = text.strip()
    words = stripped.split()
    for length in (2, 1):
        if len(words) < length:
            continue
        head = " ".join(w.strip(_PUNCTUATION) for w in words[:length]).upper()
        keyword = KEYWORDS.get(head)
        if keyword is None or (head in ALONE_ONLY and len(words) > length):
            continue
        rest = stripped
        for word in words[:length]:
            rest = rest[rest.index(word) + len(word):]
        return Command(keyword, rest.strip().lstrip(_PUNCTUATION).strip())
    if stripped.strip(_PUNCTUATION).upper() in KEYWORDS:  # "stop!!!" is one word with punctuation
        return Command(KEYWORDS[stripped.strip(_PUNCTUATION).upper()], "")
    plain_words = " ".join(w.strip(_PUNCTUATION) for w in words).upper().replace("’", "'")
    if plain_words in NOT_SURE:
        return Command("skip", "")
    if plain_words in THANKS or (stripped and all(_is_emoji(c) for c in stripped)):
        return Command("thanks", "")
    return Command(None, stripped)


def _is_emoji(char: str) -> bool:
    """A pictograph, its modifiers and joiners, or a space between them ("👍", "🙂👍🏽")."""
    return unicodedata.category(char) in ("So", "Sk", "Cf", "Zs", "Mn") or char in "\ufe0f\u200d"
