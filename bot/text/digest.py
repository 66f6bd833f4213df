"""How the council's weekly digest reads: one email with plain text, HTML with small charts
inline, and CSV attachments (the figures; turnout by area; money over time)."""

import base64
import csv
import html
import io
import secrets
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from bot.text import charts
from bot.text.money import format_pence
from channels.registry import CHANNELS

# A week's figures (or a part of them) as bot.domain.digest.figures makes them and the digest
# row stores them: JSON.
Figures = dict[str, Any]

# Each figure, in the order the digest shows them: messages per registered channel that names
# them (SMS, WhatsApp, Telegram), and calls to the phone line (received only: it sends nothing).
_COUNTED = [channel for channel in CHANNELS.values() if channel.label]
LABELS = {
    "new_residents": "New residents",
    "active_residents": "Residents who took part",
    "opt_outs": "Opted out",
    "new_ideas": "New ideas",
    **{f"messages_in_{channel.name}": f"{channel.label} received" for channel in _COUNTED},
    **{f"messages_out_{channel.name}": f"{channel.label} sent" for channel in _COUNTED if channel.sends_text},
    # A template opens a conversation the provider charges for; messages inside the window,
    # in reply to a resident, are not charged per segment as SMS is.
    **{
        f"templates_out_{channel.name}": f"{channel.title} templates sent (each charged)"
        for channel in _COUNTED
        if channel.templates
    },
    "sms_segments_sent": "SMS segments paid for",
}


INBOX_WAITING = "Messages from residents waiting over 48 hours for a reply"

# The figures of each channel shown only in a week it was used (the console), by channel.
_WHEN_USED = {
    channel.name: [key for key in LABELS if key.endswith(f"_{channel.name}")]
    for channel in _COUNTED
    if channel.counted_when_used
}


def shown_labels(f: Figures) -> dict[str, str]:
    """The participation figures the text and HTML show, with their labels: every one, but a
    channel counted only when used (the console) leaves out its lines in a week that neither it
    nor the week before carried a message on it."""
    unused = {
        key for keys in _WHEN_USED.values() if not any(any(_weeks(f, key)) for key in keys) for key in keys
    }
    return {key: label for key, label in LABELS.items() if key not in unused}


def _weeks(f: Figures, key: str) -> tuple[int, int]:
    """A figure this week and last; 0 in a digest kept from before its channel was added."""
    figure = f["participation"].get(key, {})
    return figure.get("this_week", 0), figure.get("last_week", 0)


def text(f: Figures) -> str:
    lines = [
        f"{f['community']}: weekly digest, week {f['week']} (from Monday {f['from']}){_so_far(f)}",
        "",
        "PARTICIPATION (this week, last week, change)",
    ]
    for key, label in shown_labels(f).items():
        now, before = _weeks(f, key)
        lines.append(f"  {label}: {now} ({before}, {_change(now, before)})")
    if "inbox_waiting" in f:  # digests kept from before the inbox have no such figure
        lines.append(f"  {INBOX_WAITING}: {f['inbox_waiting']}")
    if f.get("announcements"):  # digests kept from before announcements have none
        lines += ["", "ANNOUNCEMENTS (news to members, and who it went to)"]
        lines += [f"  To {a['audience']}: {a['text']}" for a in f["announcements"]]
    lines += ["", "WHO TAKES PART, AND WHERE"] + [f"  {line}" for line in area_lines(f)]
    lines += [
        "",
        "IDEAS",
        "  By status: "
        + (
            ", ".join(f"{status_word(k)} {v}" for k, v in sorted(f["ideas"]["by_status"].items()))
            or "none yet"
        ),
    ]
    lines += [f"  New: #{i['number']} {i['text']} ({status_word(i['status'])})" for i in f["ideas"]["newest"]]
    lines += ["", "ROUNDS"]
    for r in f["rounds"]:
        lines.append(
            f"  {r['title']}: {r['status']}, {_ballots(r['ballots'])}, {r['rule']}"
            + (f"; funded {', '.join(r['winners'])} ({r['allocated']})" if r["winners"] else "")
        )
        lines += [f"    Not funded: {_why_not(o)}" for o in r.get("not_funded", ())]
        if r.get("ballot_file_sha256"):
            lines.append(f"    Ballots published, SHA-256 {r['ballot_file_sha256']}")
    if not f["rounds"]:
        lines.append("  No round opened or closed this week.")
    lines += ["", "PROJECTS"] + [f"  {line}" for line in project_lines(f)]
    if "referrals" in f:  # digests kept from before referrals have none
        lines += ["", "REFERRALS (ideas passed to council services)"] + [f"  {x}" for x in referral_lines(f)]
    m = f["money"]
    lines += [
        "",
        "MONEY",
        f"  Total {format_pence(m['total_pence'])}; committed {format_pence(m['committed_pence'])}; "
        f"spent this week {format_pence(m['spent_this_week_pence'])}, in all "
        f"{format_pence(m['spent_pence'])}; still to decide {format_pence(m['remaining_pence'])}.",
    ]
    if m["latest_update"]:
        lines.append(f"  Latest update: {m['latest_update']}")
    for sent in m.get("targeted_updates", ()):
        lines.append(f"  Update sent to {sent['audience']}: {sent['text']}")
    lines += [f"  {line}" for line in _exceptions(m)]
    if m.get("over_time"):
        lines.append("  Over time (in all, at the end of each month with an entry):")
        lines += [
            f"    {row['month']}: committed {format_pence(row['committed_pence'])}, "
            f"spent {format_pence(row['spent_pence'])}"
            for row in m["over_time"]
        ]
    lines += ["", "NEXT"] + (
        [f"  {n['round']} {n['event']} {n['at']}" for n in f["next"]] or ["  Nothing scheduled."]
    )
    if "record" in f:  # digests kept from before the record have none
        lines += ["", "THE RECORD", f"  {record_line(f['record'])}"]
    return "\n".join(lines) + "\n"


def record_line(record: Figures) -> str:
    """The tamper-evident record as the digest gives it: keep each week's, to compare."""
    entries = record["entries"]
    return (
        f"{entries} {'entry' if entries == 1 else 'entries'} (the money, and what organisers did); "
        f"latest seal {record['seal']}"
    )


# The email's body style: everything else in it is styled inline on its own element.
BODY_STYLE = "font-family:Arial,sans-serif;color:#222"


def html_body(f: Figures, images: dict[str, str] | None = None) -> str:
    """The HTML part; `images` maps each chart ("turnout", "money") to the address of its image:
    "cid:..." in the email, a data: URI in the dashboard's preview. A chart without one is shown
    as its description."""
    return f'<!doctype html><html><body style="{BODY_STYLE}">{html_content(f, images)}</body></html>'


def chart_sources(f: Figures) -> dict[str, str]:
    """Each chart this digest has as a data: URI, so a page can show it as the email will."""
    return {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for name, png in chart_pngs(f).items()
    }


def _announcements_html(f: Figures) -> str:
    """The week's announcements and who they went to (criteria, never who matched)."""
    e = html.escape
    sent = f.get("announcements") or ()
    if not sent:
        return ""
    return "<h3>Announcements</h3>" + "".join(f"<p>To {e(a['audience'])}: {e(a['text'])}</p>" for a in sent)


def html_content(f: Figures, images: dict[str, str] | None = None) -> str:
    """What the HTML part's body holds (see html_body)."""
    e = html.escape
    shown = shown_labels(f)
    weeks = {key: _weeks(f, key) for key in shown}
    rows = "".join(
        f"<tr><td>{e(label)}</td><td align='right'>{weeks[key][0]}</td>"
        f"<td align='right'>{weeks[key][1]}</td>"
        f"<td align='right'>{_change(*weeks[key])}</td></tr>"
        for key, label in shown.items()
    )
    rounds = (
        "".join(
            f"<li>{e(r['title'])}: {e(r['status'])}, {_ballots(r['ballots'])}"
            + (f", funded {e(', '.join(r['winners']))} ({e(r['allocated'])})" if r["winners"] else "")
            + _published_html(r)
            + _not_funded_html(r)
            + "</li>"
            for r in f["rounds"]
        )
        or "<li>No round opened or closed this week.</li>"
    )
    ideas = (
        "".join(
            f"<li>#{i['number']} {e(i['text'])} ({e(status_word(i['status']))})</li>"
            for i in f["ideas"]["newest"]
        )
        or "<li>No new ideas.</li>"
    )
    m = f["money"]
    nxt = (
        "".join(f"<li>{e(n['round'])} {e(n['event'])} {e(n['at'])}</li>" for n in f["next"])
        or "<li>Nothing scheduled.</li>"
    )
    return f"""<h2 style="margin-bottom:0">{e(f["community"])}</h2>
<p style="margin-top:4px">Weekly digest, week {e(f["week"])} (from Monday {e(f["from"])}){e(_so_far(f))}</p>
<h3>Participation</h3>
<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse">
<tr><th align="left">Figure</th><th>This week</th><th>Last week</th><th>Change</th></tr>{rows}</table>
{f"<p>{INBOX_WAITING}: {f['inbox_waiting']}</p>" if "inbox_waiting" in f else ""}
{_announcements_html(f)}
<h3>Who takes part, and where</h3>
{_areas_html(f)}
{_chart_html(f, "turnout", images)}
<h3>Ideas</h3><ul>{ideas}</ul>
<h3>Rounds</h3><ul>{rounds}</ul>
<h3>Projects</h3>{"".join(f"<p>{e(line)}</p>" for line in project_lines(f))}
{_referrals_html(f)}
<h3>Money</h3>
<p>Total {format_pence(m["total_pence"])}; committed {format_pence(m["committed_pence"])};
spent this week {format_pence(m["spent_this_week_pence"])}, in all {format_pence(m["spent_pence"])};
still to decide {format_pence(m["remaining_pence"])}.</p>
{f"<p>Latest update: {e(m['latest_update'])}</p>" if m["latest_update"] else ""}
{"".join(f"<p>Update sent to {e(u['audience'])}: {e(u['text'])}</p>" for u in m.get("targeted_updates", ()))}
{"".join(f"<p>{e(line)}</p>" for line in _exceptions(m))}
{_chart_html(f, "money", images)}
<h3>Next</h3><ul>{nxt}</ul>
{f"<h3>The record</h3><p>{e(record_line(f['record']))}</p>" if "record" in f else ""}
"""


def csv_figures(f: Figures) -> str:
    """Every figure, those of unused channels too: a spreadsheet's rows stay the same each week."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "this_week", "last_week"])
    for key in LABELS:
        writer.writerow([key, *_weeks(f, key)])
    for key, value in f["money"].items():
        if key.endswith("_pence"):
            writer.writerow([key, value, ""])
    return out.getvalue()


def email(f: Figures, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{f['community']}: weekly digest {f['week']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    # RFC 5322 wants both; some servers and filters refuse mail without them.
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"digest.{f['slug']}.{f['week']}", domain=domain)
    message.set_content(text(f))
    # Short Content-IDs: a long one is folded onto a line of its own, which some readers misread.
    drawn = {name: (f"<{name}.{secrets.token_hex(6)}@{domain}>", png) for name, png in chart_pngs(f).items()}
    message.add_alternative(
        html_body(f, {name: f"cid:{cid[1:-1]}" for name, (cid, _) in drawn.items()}), subtype="html"
    )
    html_part = list(message.iter_parts())[1]
    for name, (cid, png) in drawn.items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=cid, filename=f"{name}.png", disposition="inline"
        )
    message.add_attachment(
        csv_figures(f).encode(), maintype="text", subtype="csv", filename=f"{f['slug']}-{f['week']}.csv"
    )
    if _has_areas(f):
        message.add_attachment(
            csv_areas(f).encode(),
            maintype="text",
            subtype="csv",
            filename=f"{f['slug']}-{f['week']}-areas.csv",
        )
    if f["money"].get("over_time"):
        message.add_attachment(
            csv_money(f).encode(),
            maintype="text",
            subtype="csv",
            filename=f"{f['slug']}-{f['week']}-money.csv",
        )
    return message


_RIGHT = " align='right'"
AREA_COLUMNS = ("Area", "Members", "Ideas", "Ideas per member", "Ballots", "Voted")


def area_table(f: Figures) -> list[list[str]]:
    """The turnout table as the text, the HTML and the CSV show it: each area, the groups, then
    all members (the community's average); the last column is the area's flags."""
    a = f["areas"]
    voted: Callable[[Figures], str] = (
        (lambda r: f"{r['ballots_per_member']:.0%}") if a["round"] else (lambda r: "-")
    )
    return [
        [
            r["area"],
            str(r["members"]),
            str(r["ideas"]),
            f"{r['ideas_per_member']:.2f}",
            str(r["ballots"]),
            voted(r),
            ", ".join(r.get("flags", ())),
        ]
        for r in [*a["rows"], a["all"]]
    ]


def area_lines(f: Figures) -> list[str]:
    """Turnout by area for the text part: which round, the table, the rule."""
    if not _has_areas(f):
        return ["No areas to show: the postcode districts of members are not known."]
    a = f["areas"]
    rows = [list(AREA_COLUMNS) + [""]] + area_table(f)
    widths = [max(len(row[i]) for row in rows) for i in range(len(AREA_COLUMNS))]
    table = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row[:-1], widths, strict=True))
        )
        + (f"  {row[-1]}" if row[-1] else "")
        for row in rows
    ]
    return [_round_words(a)] + table + [a["rule"]]


def project_lines(f: Figures) -> list[str]:
    """Funded projects by status, then each one with news this week."""
    p = f.get("projects")
    if p is None or not p["by_status"]:
        return ["No funded projects yet."]
    lines = ["By status: " + ", ".join(f"{status} {count}" for status, count in p["by_status"].items())]
    for x in p["this_week"]:
        news = f"#{x['number']} {x['title']}: {x['status']}" + (
            " (status changed this week)" if x["status_changed"] else ""
        )
        lines.append(news + (f". Note: {x['note']}" if x["note"] else ""))
    return lines + ([] if p["this_week"] else ["No project news this week."])


def referral_lines(f: Figures) -> list[str]:
    """Referrals still unanswered, with their ages, and the median time to an answer."""
    r = f["referrals"]
    lines = [
        f"Waiting for an answer: #{x['idea']} {x['title']} ({x['service']}, {_days(x['days'])})"
        for x in r["unanswered"]
    ] or ["No referral is waiting for an answer."]
    median = r["median_days_to_answer"]
    return lines + [f"Median time to an answer: {_days(median) if median is not None else 'no answer yet'}"]


def _days(days: float) -> str:
    shown = f"{days:.1f}".removesuffix(".0")
    return f"{shown} day" if shown == "1" else f"{shown} days"


def _referrals_html(f: Figures) -> str:
    if "referrals" not in f:
        return ""
    return "<h3>Referrals</h3>" + "".join(f"<p>{html.escape(line)}</p>" for line in referral_lines(f))


def chart_pngs(f: Figures) -> dict[str, bytes]:
    """The charts this digest has, drawn: turnout by area, money over time."""
    drawn = {}
    if _has_areas(f) and f["areas"]["round"]:
        a = f["areas"]
        drawn["turnout"] = charts.turnout_png(
            [
                (r["area"], r["ballots_per_member"], bool(r.get("flags")) and "few ballots" in r["flags"])
                for r in a["rows"]
            ],
            a["all"]["ballots_per_member"],
        )
    if f["money"].get("over_time"):
        drawn["money"] = charts.money_png(
            [
                (date.fromisoformat(row["month"] + "-01"), row["committed_pence"], row["spent_pence"])
                for row in f["money"]["over_time"]
            ]
        )
    return drawn


def csv_areas(f: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["area", "members", "ideas", "ideas_per_member", "ballots", "ballots_per_member", "flags"]
    )
    for r in [*f["areas"]["rows"], f["areas"]["all"]]:
        writer.writerow(
            [
                r["area"],
                r["members"],
                r["ideas"],
                r["ideas_per_member"],
                r["ballots"],
                r["ballots_per_member"],
                "; ".join(r.get("flags", ())),
            ]
        )
    return out.getvalue()


def csv_money(f: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "committed_pence", "spent_pence"])
    for row in f["money"]["over_time"]:
        writer.writerow([row["month"], row["committed_pence"], row["spent_pence"]])
    return out.getvalue()


def _has_areas(f: Figures) -> bool:
    """Whether the digest has turnout by area (older stored digests do not)."""
    return bool(f.get("areas") and f["areas"]["known"])


def _round_words(a: Figures) -> str:
    r = a["round"]
    if r is None:
        return "Ballots: no round has opened yet. Ideas: every idea members have given."
    return (
        f"Ballots in round {r['title']} ({r['status']}). Ideas: every idea members have given. "
        "Members: those not opted out."
    )


def _areas_html(f: Figures) -> str:
    e = html.escape
    if not _has_areas(f):
        return f"<p>{e(area_lines(f)[0])}</p>"
    head = "".join(f"<th>{e(c)}</th>" for c in (*AREA_COLUMNS, "Flag"))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_RIGHT if 0 < i < len(AREA_COLUMNS) else ''}>{e(cell)}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in area_table(f)
    )
    return (
        f"<p>{e(_round_words(f['areas']))}</p>"
        f'<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse">'
        f"<tr>{head}</tr>{body}</table><p>{e(f['areas']['rule'])}</p>"
    )


def _chart_html(f: Figures, name: str, images: dict[str, str] | None) -> str:
    """A chart as an inline image with its description as alt text, or the description alone."""
    alt = _chart_alt(f, name)
    if alt is None:
        return ""
    if images is None or name not in images:
        return f"<p><em>Chart: {html.escape(alt)}</em></p>"
    return f'<p><img src="{html.escape(images[name])}" alt="{html.escape(alt)}" width="480" height="240"></p>'


def _chart_alt(f: Figures, name: str) -> str | None:
    if name == "turnout":
        if not (_has_areas(f) and f["areas"]["round"]):
            return None
        a = f["areas"]
        return (
            "Share of members who voted, by area: "
            + ", ".join(f"{r['area']} {r['ballots_per_member']:.0%}" for r in a["rows"])
            + f"; community average {a['all']['ballots_per_member']:.0%}"
        )
    rows = f["money"].get("over_time")
    if not rows:
        return None
    last = rows[-1]
    return (
        f"Money committed and spent over time, from {rows[0]['month']} to {last['month']}: "
        f"by then committed {format_pence(last['committed_pence'])}, "
        f"spent {format_pence(last['spent_pence'])}"
    )


_ACTIONS = {"void": "voided", "close": "closed"}


def _exceptions(m: Figures) -> list[str]:
    """What the council should notice in the books: beyond an allocation, and corrections."""
    return [
        f"Recorded beyond its allocation or the budget: spending {s['number']}, "
        f"{s['description']}, {format_pence(s['amount_pence'])}"
        for s in m.get("over_allocation", ())
    ] + [
        f"Correction {c['number']}: {c['entry']} {_ACTIONS[c['action']]}"
        + (f" ({c['reason']})" if c["reason"] else "")
        for c in m.get("corrections", ())
    ]


def _why_not(option: Figures) -> str:
    """An option not funded, and why: "a mural: 1 vote; £500 was left when it came up, and it
    needed £1,000"."""
    return f"{option['title']}: {why_not_funded(option)}"


def why_not_funded(option: Figures) -> str:
    """The rule's reason for not funding an option, from its explanation: what was left when it
    came up against its cost (greedy), its supporters' money between them (equal shares), or the
    round's own money when that fell short (equal shares); or that nobody voted for it."""
    votes = option["votes"]
    if not votes:  # no rule weighed it: "£0 was left, and it needed £0" would say nothing true
        return "no votes"
    if option.get("round_was_short"):  # the round's own money was short, whatever the shares
        return (
            f"{votes} {'vote' if votes == 1 else 'votes'}; "
            f"{option['round_left']} of the round's money was left when it came up, and it "
            f"needed {option['cost']}"
        )
    if option["by"] == "shares":
        who = "supporter" if votes == 1 else "supporters"
        return (
            f"its {votes} {who} had {option['left']} left "
            f"{'' if votes == 1 else 'between them '}when it came up, and it needed {option['cost']}"
        )
    return (
        f"{votes} {'vote' if votes == 1 else 'votes'}; {option['left']} was "
        f"left when it came up, and it needed {option['cost']}"
    )


def _published_html(r: Figures) -> str:
    digest = r.get("ballot_file_sha256")
    return f"<p>Ballots published, SHA-256 <code>{html.escape(digest)}</code></p>" if digest else ""


def _not_funded_html(r: Figures) -> str:
    items = "".join(f"<li>Not funded: {html.escape(_why_not(o))}</li>" for o in r.get("not_funded", ()))
    return f"<ul>{items}</ul>" if items else ""


def status_word(status: str) -> str:
    """An idea's status as the council reads it: "not funded", not `not_funded`."""
    return status.replace("_", " ")


def _so_far(f: Figures) -> str:
    return "" if f.get("complete", True) else ", so far: the week has not ended"


def _ballots(count: int) -> str:
    return f"{count} ballot" if count == 1 else f"{count} ballots"


def _change(now: int, before: int) -> str:
    diff = now - before
    return f"+{diff}" if diff > 0 else str(diff) if diff < 0 else "same"
