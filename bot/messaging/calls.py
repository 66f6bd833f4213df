"""Answering a phone call, one request at a time: find the call's state by its id, let the call
dialogue answer the keys, and save the state with the page played, all in one transaction.

A request about a page other than the last one played (a provider's repeat, or a page replayed
out of order) gets the last page again and changes nothing, so no keypress counts twice. A
call that ends, wherever it was, leaves nothing behind but what was confirmed."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import Database
from bot.dialogue import call as dialogue
from bot.domain.residents import find_writer, resident_for
from bot.messaging import routing
from bot.messaging.inbound import retrying
from bot.text.catalogue import render
from channels.calls import CallAction, CallEvent, CallPage, Spoken
from channels.messages import Address
from channels.phone import mask
from channels.registry import spec
from models import Call, Community, InboundLog, Resident
from models.states import CallStep

logger = logging.getLogger(__name__)


def answer_call(db: Database, event: CallEvent, now: datetime) -> CallPage | None:
    """The page to play in answer to `event`; None: nothing to say (hang up, or a status)."""
    return retrying(lambda: _answer(db, event, now), f"call {event.call_sid}")


def _answer(db: Database, event: CallEvent, now: datetime) -> CallPage | None:
    with db.transaction() as session:
        call = _locked(session, event.call_sid)
        if event.action == CallAction.ENDED:
            if call is not None and call.ended_at is None:
                _end(call, now)
            return None
        if call is None:
            if event.action != CallAction.ANSWER:
                return None  # a page of a call we never answered: nothing to go on
            return _new_call(session, event, now)
        if event.page != call.page or (call.ended_at is not None and not _left_a_message(call, event)):
            return _again(call)
        community = session.get(Community, call.community_id)
        resident = session.get(Resident, call.resident_id) if call.resident_id else None
        if community is None or resident is None:  # erased while the call went on
            _end(call, now)
            return None
        ended = call.ended_at is not None
        turn = dialogue.CallTurn(session, community, resident, call, now, event.channel)
        page = _save(call, dialogue.answer(turn, event), now)
        if ended:  # the recording of a call that had ended: kept, and nobody to answer
            _end(call, now)
            return None
        return page


def _new_call(session: Session, event: CallEvent, now: datetime) -> CallPage | None:
    """A call has come in: to a community's number, from a number we can know them by."""
    channel = spec(event.channel)
    called = channel.normalise(event.called) or event.called
    community = routing.by_recipient(session, channel, called)
    if community is None:
        logger.warning("%s call to unknown number %s: hung up", channel.name, mask(called))
        return None
    caller = channel.normalise(event.caller)
    if caller is None:  # withheld ("anonymous"): no one to count a vote for
        language = community.default_language
        return CallPage(1, (Spoken(render("call_withheld", language), language),))
    address = Address(channel.name, caller)
    resident = resident_for(session, community, address, now, find_writer(session, community, address))
    # Logged as a message in, so the digest counts calls beside texts (nothing said is kept).
    session.add(
        InboundLog(
            channel=channel.name,
            provider_message_id=event.call_sid,
            community_id=community.id,
            resident_id=resident.id,
            sender=caller,
            received_at=now,
        )
    )
    call = Call(
        call_sid=event.call_sid,
        community_id=community.id,
        resident_id=resident.id,
        step=CallStep.LANGUAGE,
        data={},
        page=0,
        started_at=now,
        updated_at=now,
    )
    session.add(call)
    session.flush()  # a repeat of this request races here, and is answered as a repeat
    turn = dialogue.CallTurn(session, community, resident, call, now, channel.name)
    return _save(call, dialogue.start(turn), now)


def _save(call: Call, next_: dialogue.Next, now: datetime) -> CallPage:
    page = dialogue.numbered(next_, call.page + 1)
    call.page, call.step, call.data = page.number, next_.step, next_.data
    call.shown, call.updated_at = page.to_json(), now
    if next_.step == CallStep.ENDED:
        call.ended_at = now
    return page


def _again(call: Call) -> CallPage | None:
    """The page played last, for a request about another (a repeat): nothing changes."""
    return CallPage.from_json(call.shown) if call.shown and call.ended_at is None else None


def _end(call: Call, now: datetime) -> None:
    """Hung up: a ballot keyed in but not confirmed is forgotten with the call. A call that ends
    while a voice message is recorded stays at that step: hanging up is how many callers finish
    a message, and Twilio may report the end before it posts the recording."""
    if call.step != CallStep.IDEA:
        call.step, call.data = CallStep.ENDED, {}
    call.ended_at, call.updated_at = now, now


def _left_a_message(call: Call, event: CallEvent) -> bool:
    """The recording of a voice message the caller hung up on, reported after the call ended."""
    return call.step == CallStep.IDEA and event.action == CallAction.RECORDED


def _locked(session: Session, call_sid: str) -> Call | None:
    """The call's state, locked for this request (two requests about one call run in turn)."""
    query = select(Call).where(Call.call_sid == call_sid)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)
