"""A translation as a spreadsheet for its reviewer, and the reviewed spreadsheet back into the .po.

    python bot/text/locale/spreadsheet.py export cy > cy.csv
    python bot/text/locale/spreadsheet.py import cy < cy-reviewed.csv

One row per text (per form, for a text with plural forms): the English, the form, the
translation and a note column for the reviewer. Import changes translations and keeps notes as
translator comments in the .po; rows are matched by their English, so their order does not
matter. An export imported unchanged leaves the .po as it was, byte for byte.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import TextIO

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).resolve().parent
COLUMNS = ["english", "english_plural", "form", "translation", "note"]
WIDTH = 100  # the .po files' line width


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def _read(path: Path, language: str) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=language)


def _forms(string: object) -> list[str]:
    """A plural message's translations, one per form."""
    return [str(form) for form in string] if isinstance(string, tuple | list) else [str(string or "")]


def export(path: Path, language: str, out: TextIO) -> None:
    """Write the .po at `path` as CSV rows to `out`."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for message in _read(path, language):
        if not message.id:
            continue
        note = " ".join(message.user_comments)
        if isinstance(message.id, tuple | list):
            singular, plural = message.id[0], message.id[1]
            for form, text in enumerate(_forms(message.string)):
                writer.writerow([singular, plural, form, text, note])
        else:
            writer.writerow([message.id, "", "", message.string, note])


def import_(path: Path, language: str, rows: TextIO, target: Path | None = None) -> None:
    """Read reviewed CSV `rows` into the .po at `path` (written to `target`, by default `path`)."""
    catalog = _read(path, language)
    for row in csv.DictReader(rows):
        message = catalog.get(row["english"])
        if message is None:
            raise SystemExit(f"not in the catalogue: {row['english']!r}")
        if row["form"]:
            forms = _forms(message.string)
            forms[int(row["form"])] = row["translation"]
            message.string = tuple(forms)
        else:
            message.string = row["translation"]
        message.user_comments = [row["note"]] if row["note"] else []
    written = io.BytesIO()
    write_po(written, catalog, width=WIDTH)
    # Babel writes this header field with a second space; keep the file as it was.
    text = written.getvalue().replace(b"Project-Id-Version:  ", b"Project-Id-Version: ")
    (target or path).write_bytes(text)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("export", "import"):
        raise SystemExit(__doc__)
    command, language = argv
    if command == "export":
        export(po_path(language), language, sys.stdout)
    else:
        import_(po_path(language), language, sys.stdin)


if __name__ == "__main__":
    main(sys.argv[1:])
