"""Dashboard forms already acted on, by their one-time token, so going back and sending a form
again (or a double click) does nothing the second time."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class FormUse(Base):
    __tablename__ = "form_use"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
