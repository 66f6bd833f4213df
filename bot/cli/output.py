"""Listings as aligned text for people or JSON (stable field names, see README) for scripts.

Everything printed goes through here, so no text a resident or anyone else wrote can reach
the organiser's terminal raw: control characters would clear the screen, retitle the window,
hide text behind a carriage return, or (bidirectional overrides) show it in another order.

Also here: counts in words ("1 ballot"), and showing what a text organisers wrote will cost by
SMS before it goes, asking first when it costs more than it should.
"""

import re
import sys
from typing import Any

import click

from bot.text.json_text import to_json
from bot.text.organiser_text import SmsCost

# C0 and C1 controls and DEL (ESC, BEL, CR, CSI ...), bidirectional embeddings, overrides and
# isolates, and lone surrogates (no terminal encoding can write them).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def inert(text: str, multiline: bool = False) -> str:
    """`text` with each control character shown as an escape (\\x1b); newlines kept if `multiline`."""
    return _UNSAFE.sub(lambda m: m[0] if multiline and m[0] == "\n" else _escape(m[0]), text)


def echo(text: str = "", multiline: bool = False, *, nl: bool = True, err: bool = False) -> None:
    """click.echo, with `text` made inert first."""
    click.echo(inert(text, multiline), nl=nl, err=err)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` with its noun in the right number: "1 ballot", "2 ballots", "0 ballots"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def interactive() -> bool:
    """Whether a person at a terminal can answer a question (stdin is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


def confirm(question: str, refusal: str, yes: bool) -> None:
    """Go on when `yes`, or when the person at the terminal says yes (else "Aborted.", exit 1).

    A script cannot answer, so it is refused with `refusal` (exit 2) rather than left waiting."""
    if yes:
        return
    if not interactive():
        raise click.UsageError(f"{refusal}; add --yes to go ahead")
    click.confirm(question, abort=True)


def check_sms(cost: SmsCost, who: str, yes: bool, takes: str | None = None) -> None:
    """Show what each of `who` (a noun: "member") will get by SMS and what it costs in all
    (and how long it `takes` to deliver, when given); ask first if it costs more than two
    segments each or the text had to be shortened."""
    if cost.recipients == 0 and not (cost.whatsapp or cost.whatsapp_templates):
        return
    segments = plural(cost.segments, "segment")
    echo(f"Each {who} gets ({cost.encoding}, {segments}): {cost.message}")
    if cost.not_gsm7:
        echo(f"{cost.not_gsm7} makes it UCS-2: a segment then holds 70 characters, not 160.")
    if cost.shortened:
        echo(
            "Your text does not fit whole, so residents get it as shown: say it in fewer words "
            "to send it as written."
        )
    in_all = plural(cost.total, "SMS segment")
    echo(f"Cost: {plural(cost.recipients, who)} × {segments} = up to {in_all}.")
    if cost.whatsapp or cost.whatsapp_templates:
        echo(whatsapp_cost(cost, who))
    if takes:
        echo(f"It takes {takes}.")
    if cost.worth_asking:
        why = "your text does not fit whole" if cost.shortened else f"{segments} each"
        confirm(f"Send it anyway ({why}; up to {in_all})?", f"not sent: {why} (up to {in_all})", yes)


def whatsapp_cost(cost: SmsCost, who: str) -> str:
    """The WhatsApp side of a send: charged per conversation, not per segment."""
    return (
        f"By WhatsApp: {plural(cost.whatsapp + cost.whatsapp_templates, who)}, "
        f"{cost.whatsapp} inside the 24-hour window and {plural(cost.whatsapp_templates, 'template')} "
        "outside it (WhatsApp charges per conversation a template opens, not per segment)."
    )


def emit(rows: list[dict[str, Any]], columns: list[tuple[str, str]], as_json: bool) -> None:
    """Print `rows` as JSON, or as a table of `columns` (header, key)."""
    if as_json:
        click.echo(to_json(rows))
        return
    if not rows:
        click.echo("(none)")
        return
    table = [[header for header, _ in columns]]
    table += [[_cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def emit_object(obj: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(to_json(obj))
    else:
        for line in lines:
            echo(line)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return inert(",".join(str(v) for v in value)) or "-"
    return inert(str(value))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
