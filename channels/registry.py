"""Every channel this build knows. A new channel is one adapter module and one line here."""

from channels import console, telegram, twilio_sms, twilio_voice, twilio_whatsapp
from channels.base import ChannelSpec

# Real channels first, SMS first of all: a phone identity with no channel remembered (or
# outside WhatsApp's window, or who last called the phone line) is reached by SMS.
CHANNELS: dict[str, ChannelSpec] = {
    spec.name: spec
    for spec in (
        twilio_sms.CHANNEL,
        twilio_whatsapp.CHANNEL,
        telegram.CHANNEL,
        twilio_voice.CHANNEL,
        console.CHANNEL,
    )
}


def spec(name: str) -> ChannelSpec:
    """The spec of channel `name`; KeyError for a channel this build does not know."""
    return CHANNELS[name]


def default_channel(identity_kind: str) -> str:
    """The channel that reaches an identity of this kind when none was remembered (or the one
    remembered cannot carry a text): the first that can."""
    return next(s.name for s in CHANNELS.values() if s.identity_kind == identity_kind and s.sends_text)
