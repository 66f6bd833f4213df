"""Organisers, the communities they run, their API tokens and their dashboard sessions."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.community import Community

organiser_community = Table(
    "organiser_community",
    Base.metadata,
    Column("organiser_id", ForeignKey("organiser.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
)


class Organiser(Base):
    __tablename__ = "organiser"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(300))  # werkzeug scrypt
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor sign-in (TOTP, RFC 6238). The secret is kept as the authenticator app has it
    # (base32, not encrypted: the server must compute codes from it); it is set while enrolling
    # and counts only once totp_enabled_at is set, when a code from the app confirmed it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The last time step (Unix time // 30) whose code signed in: that code and older ones are
    # refused, so a code seen over a shoulder or in a proxy's log cannot be used again.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    communities: Mapped[list[Community]] = relationship(
        secondary=organiser_community, order_by=Community.slug
    )


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in listings to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organiser: Mapped[Organiser] = relationship()


class OrganiserSession(Base):
    """A dashboard sign-in. The cookie holds a random token and only its SHA-256 is here, so
    ending the row ends the session wherever the cookie was copied."""

    __tablename__ = "organiser_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # signed out, or revoked
