"""A community: one neighbourhood with its own budget, number and residents."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.money import PENCE

# phone: Telegram residents share their contact so one person is one resident across channels.
VERIFICATION_RULES = ("none", "postcode", "phone")


class Community(Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(40), unique=True)
    sms_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # A WhatsApp sender of its own; None: WhatsApp goes from (and comes to) the SMS number.
    whatsapp_number: Mapped[str | None] = mapped_column(String(20), unique=True, index=True)
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/London")
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    budget_total_pence: Mapped[int] = mapped_column(PENCE, default=0)
    verification: Mapped[str] = mapped_column(String(20), default="none")
    # Outward codes ("E1") or sectors ("E1 6") a postcode must fall in when verification is "postcode".
    postcode_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Who gets the weekly digest, and when (in the community's timezone; 0 = Monday).
    digest_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest_weekday: Mapped[int] = mapped_column(default=0)
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
    # Messages we start to many wait from quiet_start to quiet_end (community time, HH:MM; the
    # hours may span midnight; equal: none).
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00", server_default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00", server_default="08:00")
    # The privacy notice (/c/<slug>/privacy): who is responsible for residents' data (the
    # data controller) and where residents ask for a copy of it or to have it corrected.
    controller: Mapped[str | None] = mapped_column(String(200))
    privacy_contact: Mapped[str | None] = mapped_column(String(254))
    public_page: Mapped[bool] = mapped_column(default=True)  # /c/<slug>, for residents
    # Every organiser of the community must sign in with a second factor (TOTP).
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    # Open grant data (360Giving): published at /c/<slug>/360giving.json once the community has
    # its registered prefix ("360G-riverside"); the funder is the organisation giving the grants.
    grant_prefix: Mapped[str | None] = mapped_column(String(60))
    funder_org_id: Mapped[str | None] = mapped_column(String(100))
    funder_org_name: Mapped[str | None] = mapped_column(String(200))
    grant_licence: Mapped[str] = mapped_column(String(10), default="CC-BY", server_default="CC-BY")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def default_language(self) -> str:
        return (self.languages or ["en"])[0]
