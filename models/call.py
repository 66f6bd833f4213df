"""Phone calls in progress: each keypress is a new request, so the call's state lives here,
keyed by the provider's call id, until the call ends."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.states import CallStep, one_of


class Call(Base):
    __tablename__ = "phone_call"
    __table_args__ = (one_of("step", CallStep),)

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    step: Mapped[str] = mapped_column(String(20))
    # What the step needs: the options chosen so far (counted for nothing until confirmed).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The number of the page last answered, and the page itself: a request about an older page
    # (a provider's repeat) gets this page again, and changes nothing.
    page: Mapped[int] = mapped_column(default=0)
    shown: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
