"""How the council's weekly digest reads: one email with plain text, HTML, and a CSV."""
import csv
import html
import io
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from bot.text.money import format_pence

LABELS = {
    "new_residents": "New residents", "active_residents": "Residents who took part",
    "opt_outs": "Opted out", "new_ideas": "New ideas", "messages_in_sms": "SMS received",
    "messages_in_telegram": "Telegram messages received", "messages_out_sms": "SMS sent",
    "messages_out_telegram": "Telegram messages sent", "sms_segments_sent": "SMS segments paid for",
}


def text(f: dict) -> str:
    lines = [f"{f['community']}: weekly digest, week {f['week']} (from Monday {f['from']}){_so_far(f)}", "",
             "PARTICIPATION (this week, last week, change)"]
    for key, label in LABELS.items():
        now, before = f["participation"][key]["this_week"], f["participation"][key]["last_week"]
        lines.append(f"  {label}: {now} ({before}, {_change(now, before)})")
    lines += ["", "IDEAS", "  By status: " + (", ".join(f"{status_word(k)} {v}" for k, v in sorted(
        f["ideas"]["by_status"].items())) or "none yet")]
    lines += [f"  New: #{i['number']} {i['text']} ({status_word(i['status'])})"
              for i in f["ideas"]["newest"]]
    lines += ["", "ROUNDS"]
    for r in f["rounds"]:
        lines.append(f"  {r['title']}: {r['status']}, {_ballots(r['ballots'])}, {r['rule']}"
                     + (f"; funded {', '.join(r['winners'])} ({r['allocated']})" if r["winners"] else ""))
        lines += [f"    Not funded: {_why_not(o)}" for o in r.get("not_funded", ())]
    if not f["rounds"]:
        lines.append("  No round opened or closed this week.")
    m = f["money"]
    lines += ["", "MONEY",
              f"  Total {format_pence(m['total_pence'])}; committed {format_pence(m['committed_pence'])}; "
              f"spent this week {format_pence(m['spent_this_week_pence'])}, in all "
              f"{format_pence(m['spent_pence'])}; still to decide {format_pence(m['remaining_pence'])}."]
    if m["latest_update"]:
        lines.append(f"  Latest update: {m['latest_update']}")
    lines += [f"  {line}" for line in _exceptions(m)]
    lines += ["", "NEXT"] + ([f"  {n['round']} {n['event']} {n['at']}" for n in f["next"]]
                             or ["  Nothing scheduled."])
    return "\n".join(lines) + "\n"


def html_body(f: dict) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(label)}</td><td align='right'>{f['participation'][key]['this_week']}</td>"
        f"<td align='right'>{f['participation'][key]['last_week']}</td>"
        f"<td align='right'>{_change(f['participation'][key]['this_week'], f['participation'][key]['last_week'])}</td></tr>"
        for key, label in LABELS.items())
    rounds = "".join(f"<li>{e(r['title'])}: {e(r['status'])}, {_ballots(r['ballots'])}"
                     + (f", funded {e(', '.join(r['winners']))} ({e(r['allocated'])})" if r["winners"] else "")
                     + _not_funded_html(r) + "</li>" for r in f["rounds"]) \
        or "<li>No round opened or closed this week.</li>"
    ideas = "".join(f"<li>#{i['number']} {e(i['text'])} ({e(status_word(i['status']))})</li>"
                    for i in f["ideas"]["newest"]) or "<li>No new ideas.</li>"
    m = f["money"]
    nxt = "".join(f"<li>{e(n['round'])} {e(n['event'])} {e(n['at'])}</li>" for n in f["next"]) \
        or "<li>Nothing scheduled.</li>"
    return f"""<!doctype html><html><body style="font-family:Arial,sans-serif;color:#222">
<h2 style="margin-bottom:0">{e(f['community'])}</h2>
<p style="margin-top:4px">Weekly digest, week {e(f['week'])} (from Monday {e(f['from'])}){e(_so_far(f))}</p>
<h3>Participation</h3>
<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse">
<tr><th align="left">Figure</th><th>This week</th><th>Last week</th><th>Change</th></tr>{rows}</table>
<h3>Ideas</h3><ul>{ideas}</ul>
<h3>Rounds</h3><ul>{rounds}</ul>
<h3>Money</h3>
<p>Total {format_pence(m['total_pence'])}; committed {format_pence(m['committed_pence'])};
spent this week {format_pence(m['spent_this_week_pence'])}, in all {format_pence(m['spent_pence'])};
still to decide {format_pence(m['remaining_pence'])}.</p>
{f"<p>Latest update: {e(m['latest_update'])}</p>" if m['latest_update'] else ""}
{"".join(f"<p>{e(line)}</p>" for line in _exceptions(m))}
<h3>Next</h3><ul>{nxt}</ul>
</body></html>"""


def csv_figures(f: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "this_week", "last_week"])
    for key in LABELS:
        writer.writerow([key, f["participation"][key]["this_week"], f["participation"][key]["last_week"]])
    for key, value in f["money"].items():
        if key.endswith("_pence"):
            writer.writerow([key, value, ""])
    return out.getvalue()


def email(f: dict, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{f['community']}: weekly digest {f['week']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    # RFC 5322 wants both; some servers and filters refuse mail without them.
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"digest.{f['slug']}.{f['week']}", domain=domain)
    message.set_content(text(f))
    message.add_alternative(html_body(f), subtype="html")
    message.add_attachment(csv_figures(f).encode(), maintype="text", subtype="csv",
                           filename=f"{f['slug']}-{f['week']}.csv")
    return message

_ACTIONS = {"void": "voided", "close": "closed"}


def _exceptions(m: dict) -> list[str]:
    """What the council should notice in the books: beyond an allocation, and corrections."""
    return ([f"Recorded beyond its allocation or the budget: spending {s['number']}, "
             f"{s['description']}, {format_pence(s['amount_pence'])}"
             for s in m.get("over_allocation", ())]
            + [f"Correction {c['number']}: {c['entry']} {_ACTIONS[c['action']]}"
               + (f" ({c['reason']})" if c["reason"] else "") for c in m.get("corrections", ())])


def _why_not(option: dict) -> str:
    """An option not funded, and the rule's reason: "a mural: 1 vote; £500 was left when it came
    up, and it needed £1,000" (greedy), or its supporters' money between them (equal shares)."""
    votes = option["votes"]
    if option["by"] == "shares":
        who = "supporter" if votes == 1 else "supporters"
        return (f"{option['title']}: its {votes} {who} had {option['left']} left "
                f"{'' if votes == 1 else 'between them '}when it came up, and it needed {option['cost']}")
    return (f"{option['title']}: {votes} {'vote' if votes == 1 else 'votes'}; {option['left']} was "
            f"left when it came up, and it needed {option['cost']}")


def _not_funded_html(r: dict) -> str:
    items = "".join(f"<li>Not funded: {html.escape(_why_not(o))}</li>" for o in r.get("not_funded", ()))
    return f"<ul>{items}</ul>" if items else ""


def status_word(status: str) -> str:
    """An idea's status as the council reads it: "not funded", not `not_funded`."""
    return status.replace("_", " ")


def _so_far(f: dict) -> str:
    return "" if f.get("complete", True) else ", so far: the week has not ended"


def _ballots(count: int) -> str:
    return f"{count} ballot" if count == 1 else f"{count} ballots"


def _change(now: int, before: int) -> str:
    diff = now - before
    return f"+{diff}" if diff > 0 else str(diff) if diff < 0 else "same"
