"""The languages residents can read us in, and the names they may call them by."""

from functools import cache

from babel import Locale

from bot.text.catalogue import shipped_languages
from bot.text.clean import fold


def own_name(code: str) -> str:
    """A language in its own words: "English", "Cymraeg", "Polski"."""
    return _display_name(code, code).capitalize()


def _display_name(code: str, reader: str) -> str:
    """Language `code` as `reader` calls it; babel names every language we ship."""
    name = Locale.parse(code).get_display_name(reader)
    if name is None:
        raise LookupError(f"babel has no name for {code!r} in {reader!r}")
    return name


def names_list(codes: list[str]) -> str:
    """ "English, Cymraeg, Polski": what a resident can reply with."""
    return ", ".join(own_name(code) for code in codes)


@cache
def _names() -> dict[str, str]:
    """Every name of every shipped language, in every shipped language, and its code
    ("WELSH", "CYMRAEG", "WALIJSKI", "CY" -> "cy"), folded for comparing."""
    names = {}
    for code in shipped_languages():
        names[fold(code)] = code
        for reader in shipped_languages():
            names[fold(_display_name(code, reader))] = code
    return names


def language_named(text: str) -> str | None:
    """The shipped language `text` names, if it names one."""
    return _names().get(fold(text.strip().strip(".!")))
