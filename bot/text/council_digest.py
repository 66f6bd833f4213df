"""The council digest as email: a line per community in text and HTML, and the same as CSV."""

import csv
import html
import io
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from bot.text.money import format_pence

Figures = dict[str, Any]
# The CSV's columns, in order: stable, so a spreadsheet fed each week keeps its formulas.
COLUMNS = (
    "community",
    "slug",
    "members",
    "ideas",
    "latest_round",
    "ballots",
    "turnout_percent",
    "committed_pence",
    "spent_pence",
    "total_pence",
    "referrals_waiting",
    "oldest_referral_days",
)
HEADINGS: tuple[str, ...] = ("Community", "Members", "Ideas", "Latest round", "Turnout", "Committed", "Spent")
HEADINGS += ("Referrals waiting",)


def _cells(line: Figures) -> list[str]:
    turnout = f"{line['turnout'] * 100:.0f}% ({line['ballots']})" if line["latest_round"] else "-"
    return [
        line["name"],
        str(line["members"]),
        str(line["ideas"]),
        line["latest_round"] or "-",
        turnout,
        format_pence(line["committed_pence"]),
        format_pence(line["spent_pence"]),
        _waiting(line),
    ]


def _waiting(line: Figures) -> str:
    """ "2 (oldest 40 days)": referrals to the council's services not answered yet."""
    if not line["referrals_waiting"]:
        return "0"
    return f"{line['referrals_waiting']} (oldest {line['oldest_referral_days']} days)"


def text(f: Figures) -> str:
    lines = [f"{f['council']}: weekly digest {f['week']} (week from {f['from']})", ""]
    if not f["communities"]:
        lines.append("The council follows no community yet.")
    for line in f["communities"]:
        name, members, ideas, round_, turnout, committed, spent, waiting = _cells(line)
        lines.append(
            f"{name}: {members} members, {ideas} ideas, latest round {round_} turnout {turnout}, "
            f"{committed} committed, {spent} spent, referrals waiting for a service: {waiting}"
        )
    lines += ["", "The same figures are attached as CSV, one row per community."]
    return "\n".join(lines) + "\n"


def html_body(f: Figures) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in HEADINGS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _cells(line)) + "</tr>"
        for line in f["communities"]
    )
    title = html.escape(f"{f['council']}: weekly digest {f['week']}")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        "<p>The same figures are attached as CSV, one row per community.</p></body></html>"
    )


def csv_lines(f: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for line in f["communities"]:
        writer.writerow(
            [
                _inert(line["name"]),
                line["slug"],
                line["members"],
                line["ideas"],
                _inert(line["latest_round"] or ""),
                line["ballots"],
                f"{line['turnout'] * 100:.1f}",
                line["committed_pence"],
                line["spent_pence"],
                line["total_pence"],
                line["referrals_waiting"],
                "" if line["oldest_referral_days"] is None else line["oldest_referral_days"],
            ]
        )
    return out.getvalue()


def _inert(cell: str) -> str:
    """A name a spreadsheet would take for a formula (=, +, -, @) is kept as text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def email(f: Figures, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{f['council']}: weekly digest {f['week']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"council.{f['slug']}.{f['week']}", domain=domain)
    message.set_content(text(f))
    message.add_alternative(html_body(f), subtype="html")
    message.add_attachment(
        csv_lines(f).encode(), maintype="text", subtype="csv", filename=f"{f['slug']}-{f['week']}.csv"
    )
    return message
