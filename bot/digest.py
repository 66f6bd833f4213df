"""The council's weekly digest: written once per community and ISO week, then emailed.

One multipart message: plain text, HTML, and the figures as a CSV attachment.
"""
import csv
import html
import io
import logging
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.digest_figures import figures
from bot.mailer import MailSettings, send_email
from bot.money import format_pence
from bot.weeks import Week, digest_due, last_completed
from models import Community, Digest

logger = logging.getLogger(__name__)

LABELS = {
    "new_residents": "New residents", "active_residents": "Residents who took part",
    "opt_outs": "Opted out", "new_ideas": "New ideas", "messages_in_sms": "SMS received",
    "messages_in_telegram": "Telegram messages received", "messages_out_sms": "SMS sent",
    "messages_out_telegram": "Telegram messages sent", "sms_segments_sent": "SMS segments paid for",
}


def text(f: dict) -> str:
    lines = [f"{f['community']}: weekly digest, week {f['week']} (from Monday {f['from']})", "",
             "PARTICIPATION (this week, last week, change)"]
    for key, label in LABELS.items():
        now, before = f["participation"][key]["this_week"], f["participation"][key]["last_week"]
        lines.append(f"  {label}: {now} ({before}, {_change(now, before)})")
    lines += ["", "IDEAS", "  By status: " + (", ".join(f"{k} {v}" for k, v in sorted(
        f["ideas"]["by_status"].items())) or "none yet")]
    lines += [f"  New: #{i['number']} {i['text']} ({i['status']})" for i in f["ideas"]["newest"]]
    lines += ["", "ROUNDS"] + ([
        f"  {r['title']}: {r['status']}, {_ballots(r['ballots'])}, {r['rule']}"
        + (f"; funded {', '.join(r['winners'])} ({r['allocated']})" if r["winners"] else "")
        for r in f["rounds"]] or ["  No round opened or closed this week."])
    m = f["money"]
    lines += ["", "MONEY",
              f"  Total {format_pence(m['total_pence'])}; committed {format_pence(m['committed_pence'])}; "
              f"spent this week {format_pence(m['spent_this_week_pence'])}, in all "
              f"{format_pence(m['spent_pence'])}; still to decide {format_pence(m['remaining_pence'])}."]
    if m["latest_update"]:
        lines.append(f"  Latest update: {m['latest_update']}")
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
                     + "</li>" for r in f["rounds"]) or "<li>No round opened or closed this week.</li>"
    ideas = "".join(f"<li>#{i['number']} {e(i['text'])} ({e(i['status'])})</li>"
                    for i in f["ideas"]["newest"]) or "<li>No new ideas.</li>"
    m = f["money"]
    nxt = "".join(f"<li>{e(n['round'])} {e(n['event'])} {e(n['at'])}</li>" for n in f["next"]) \
        or "<li>Nothing scheduled.</li>"
    return f"""<!doctype html><html><body style="font-family:Arial,sans-serif;color:#222">
<h2 style="margin-bottom:0">{e(f['community'])}</h2>
<p style="margin-top:4px">Weekly digest, week {e(f['week'])} (from Monday {e(f['from'])})</p>
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
    message.set_content(text(f))
    message.add_alternative(html_body(f), subtype="html")
    message.add_attachment(csv_figures(f).encode(), maintype="text", subtype="csv",
                           filename=f"{f['slug']}-{f['week']}.csv")
    return message


def send_week(db: Database, community_id: int, week: Week, now: datetime,
              mail: MailSettings) -> str:
    """Write and send one week's digest, exactly once; returns "sent", "already_sent",
    "no_recipients" or "failed"."""
    with db.transaction() as session:
        community = session.get(Community, community_id)
        if not community.digest_recipients:
            return "no_recipients"
        row = _row(session, community, week)
        if row is None:
            try:
                with session.begin_nested():
                    f = figures(session, community, week, now)
                    row = Digest(community_id=community.id, iso_week=week.iso, figures=f,
                                 text=text(f), recipients=list(community.digest_recipients),
                                 created_at=now)
                    session.add(row)
            except IntegrityError:
                row = _row(session, community, week)
        if row.sent_at is not None:
            return "already_sent"
        # Claim it: of two senders at once, only one gets past this.
        claimed = session.execute(update(Digest).where(Digest.id == row.id, Digest.sent_at.is_(None))
                                  .values(sent_at=now, error=None)).rowcount
        if not claimed:
            return "already_sent"
        row_id, figures_, recipients = row.id, row.figures, row.recipients
    try:
        send_email(mail, email(figures_, mail.sender, recipients))
    except Exception as exc:  # SMTP down, refused: try again at the next chance
        logger.warning("digest %s for community %s not sent: %s", week.iso, community_id,
                       type(exc).__name__)
        with db.transaction() as session:
            session.execute(update(Digest).where(Digest.id == row_id)
                            .values(sent_at=None, error=f"{type(exc).__name__}: {exc}"[:500]))
        return "failed"
    logger.info("digest %s for community %s sent to %s recipients", week.iso, community_id,
                len(recipients))
    return "sent"


def due(session, now: datetime) -> list[tuple[int, Week]]:
    """Communities whose last completed week's digest is due and not yet sent."""
    found = []
    for community in session.scalars(select(Community).order_by(Community.id)):
        if not community.digest_recipients:
            continue
        week = last_completed(now, community.timezone)
        if now < digest_due(week, community.digest_weekday, community.digest_time, community.timezone):
            continue  # its slot has not come yet (a digest missed longer ago is not sent late)
        if week.end <= community.created_at:
            continue  # the community did not exist that week
        row = _row(session, community, week)
        if row is None or row.sent_at is None:
            found.append((community.id, week))
    return found


def _row(session, community: Community, week: Week) -> Digest | None:
    return session.scalar(select(Digest).where(Digest.community_id == community.id,
                                               Digest.iso_week == week.iso))


def _ballots(count: int) -> str:
    return f"{count} ballot" if count == 1 else f"{count} ballots"


def _change(now: int, before: int) -> str:
    diff = now - before
    return f"+{diff}" if diff > 0 else str(diff) if diff < 0 else "same"
