"""Organisers' second factor: the one-time recovery codes (the TOTP secret is on the organiser)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class RecoveryCode(Base):
    """One of the ten codes an organiser is shown once when they turn two-factor sign-in on;
    each signs in once in place of an authenticator code. Only its scrypt hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(300))  # werkzeug scrypt, as passwords
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
