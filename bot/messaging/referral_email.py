"""The email a council service gets for an idea referred to it: the idea, its support, and the
link to answer at (no account needed)."""

from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from bot.domain.referrals import ReferralView, Support


def support_words(support: Support) -> list[str]:
    """The idea's backing as the service reads it."""
    lines = []
    if support.votes is not None:
        lines.append(
            f"It got {support.votes} vote{'' if support.votes == 1 else 's'} when residents voted on it."
        )
    if support.similar:
        others = "resident" if support.similar == 1 else "residents"
        lines.append(f"{support.similar} other {others} gave a similar idea.")
    return lines or ["It was given by one resident."]


def referral_email(
    view: ReferralView, support: Support, community: str, tz: str, link: str, sender: str
) -> EmailMessage:
    r = view.referral
    expires = r.link_expires_at.astimezone(ZoneInfo(tz))
    body = "\n".join(
        [
            f"Dear {view.service.name},",
            "",
            f"Residents of {community} gave this idea for their community budget. The organisers "
            "think it is a job for your service rather than one to fund themselves:",
            "",
            f"  Idea #{view.idea.number}: {view.title}",
            "",
            *[f"  {line}" for line in support_words(support)],
            "",
            "Please tell the residents what will happen to it: will you do it (and by when), is it "
            "scheduled, is it already done, or is it not yours to do? Answer here, no account needed:",
            "",
            f"  {link}",
            "",
            f"The link works until {_day(expires)}; you can answer again later at the same link "
            "(each answer is kept). Whoever gave the idea is told each answer by text message.",
            "",
            f"{community}, through Common Purse",
        ]
    )
    message = EmailMessage()
    message["Subject"] = f"{community}: idea #{view.idea.number} referred to {view.service.name}"
    message["From"] = sender
    message["To"] = view.service.email
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"referral.{r.id}.{r.link_version}", domain=domain)
    message.set_content(body + "\n")
    return message


def _day(when: datetime) -> str:
    return f"{when:%A} {when.day} {when:%B %Y}"
