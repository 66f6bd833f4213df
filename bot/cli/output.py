"""Listings as aligned text for people or JSON (stable field names, see README) for scripts.

Everything printed goes through here, so no text a resident or anyone else wrote can reach
the organiser's terminal raw: control characters would clear the screen, retitle the window,
hide text behind a carriage return, or (bidirectional overrides) show it in another order.
"""
import json
import re

import click

# C0 and C1 controls and DEL (ESC, BEL, CR, CSI ...), bidirectional embeddings, overrides and
# isolates, and lone surrogates (no terminal encoding can write them).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def inert(text: str, multiline: bool = False) -> str:
    """`text` with each control character shown as an escape (\\x1b); newlines kept if `multiline`."""
    return _UNSAFE.sub(lambda m: m[0] if multiline and m[0] == "\n" else _escape(m[0]), text)


def echo(text: str = "", multiline: bool = False, **kwargs) -> None:
    """click.echo, with `text` made inert first."""
    click.echo(inert(text, multiline), **kwargs)


def to_json(value) -> str:
    """JSON for scripts; characters a terminal would act on are written as \\u escapes.

    json.dumps escapes C0 controls itself; the rest are escaped here, which JSON reads back
    as the same characters, so nothing is lost."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def emit(rows: list[dict], columns: list[tuple[str, str]], as_json: bool) -> None:
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
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def emit_object(obj: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(to_json(obj))
    else:
        for line in lines:
            echo(line)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return inert(",".join(str(v) for v in value)) or "-"
    return inert(str(value))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
