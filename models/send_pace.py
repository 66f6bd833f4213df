"""The pace of each sender (a Twilio number or Messaging Service, the Telegram bot), kept in the
database so every worker process, on any machine, books its sends against one cap."""

from sqlalchemy import Double, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SendPace(Base):
    __tablename__ = "send_pace"

    # The channel and the sender: "sms:+441632960001", "sms:MG...", "telegram:all".
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    # When the next unit (a segment, a message) may go, in seconds since the epoch: a
    # booking moves it on by units / rate from whichever is later, it or now.
    next_at: Mapped[float] = mapped_column(Double, default=0.0)
