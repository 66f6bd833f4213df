"""Listings as aligned text for people or JSON (stable field names, see README) for scripts."""
import json

import click


def emit(rows: list[dict], columns: list[tuple[str, str]], as_json: bool) -> None:
    """Print `rows` as JSON, or as a table of `columns` (header, key)."""
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
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
        click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
    else:
        for line in lines:
            click.echo(line)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)
