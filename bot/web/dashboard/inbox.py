"""Inbox page: residents' messages the bot could not place, a thread per resident, newest first;
the organiser reads one, replies on the resident's channel (its SMS cost shown first), labels,
closes or reopens it, and may reveal the resident's number (recorded in the audit trail).

Below the threads, the organiser writes to many at once: an announcement to every member or to
part of the community (news that is not about the money, so not on the Money page), its cost
previewed and confirmed on a second page, as a budget update's is."""

from collections.abc import Callable
from enum import StrEnum

from flask import abort, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import inbox
from bot.domain.announcements import announce, announcement_cost, as_sent, latest_announcements
from bot.domain.quiet_hours import describe, quiet_until
from bot.domain.send_time import caps, send_time
from bot.errors import NotFound
from bot.text.organiser_text import SmsCost
from bot.web.dashboard import blueprint
from bot.web.dashboard.audience import criteria_in, segment_in
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.filters import local
from bot.web.dashboard.forms import Failure, attempt, submit, text_in
from channels.registry import CHANNELS
from models import Community
from models.states import ThreadStatus

bp = blueprint("inbox", __name__)

SHOWN = {"open": ThreadStatus.OPEN, "closed": ThreadStatus.CLOSED, "all": None}


class AnnounceStep(StrEnum):
    """The announcement's buttons: preview its cost, go on to the confirmation page, or there
    send it or go back and edit it."""

    PREVIEW = "preview"
    CONFIRM = "confirm"
    SEND = "send"
    EDIT = "edit"


@bp.get("/<slug>/inbox", endpoint="inbox")
@signed_in
def inbox_page(slug: str) -> ResponseReturnValue:
    """The community's threads, newest first: the open ones unless asked for others."""
    return _inbox(community_of(slug))


@bp.post("/<slug>/inbox/announce")
@signed_in
def inbox_announce(slug: str) -> ResponseReturnValue:
    """Send an announcement (as `announce`): preview its cost; confirm who and what it costs first."""
    place, form = community_of(slug), request.form
    try:
        step = AnnounceStep(form.get("step", ""))
    except ValueError:
        step = AnnounceStep.CONFIRM
    text = attempt("announce", lambda: as_sent(text_in(form, "text")), field="text")
    if isinstance(text, Failure):
        return _inbox(place, failure=text)
    to = attempt("announce", lambda: segment_in(place, form), field="segment")
    if isinstance(to, Failure):
        return _inbox(place, failure=to)
    if step in (AnnounceStep.PREVIEW, AnnounceStep.EDIT):
        if step == AnnounceStep.EDIT:
            return _inbox(place)
        return _inbox(place, preview=announcement_cost(g.db_session, place, text, now(), to))
    if step == AnnounceStep.CONFIRM:
        cost = announcement_cost(g.db_session, place, text, now(), to)
        return render_template(
            "dashboard/announce_confirm.html",
            community=place,
            text=text,
            cost=cost,
            reached=cost.recipients + cost.whatsapp + cost.whatsapp_templates,
            takes=send_time(dict(cost.by_channel), cost.segments, caps(current_app.config)),
            to=to,
            criteria=criteria_in(form),
            goes_at=quiet_until(place, now()),
            quiet=describe(place),
        )

    def act() -> str:
        _, sent = announce(g.db_session, place, text, now(), to)
        members = f"{sent} member{'' if sent == 1 else 's'}"
        goes_at = quiet_until(place, now())
        if goes_at is not None and sent:
            return (
                f"Announcement queued for {members}: quiet hours, so it goes out at "
                f"{local(goes_at, place.timezone)}."
            )
        return f"Announcement sent to {members}."

    return submit(
        "announce",
        act,
        again=lambda failure: _inbox(place, failure=failure),
        then=url_for("inbox.inbox", slug=place.slug),
        field="text",
        shown={"segment": "segment", "text": "text"},
    )


def _inbox(
    place: Community, *, failure: Failure | None = None, preview: SmsCost | None = None
) -> ResponseReturnValue:
    show = request.args.get("show", "open")
    if show not in SHOWN:
        show = "open"
    html = render_template(
        "dashboard/inbox.html",
        community=place,
        rows=inbox.threads(g.db_session, place, SHOWN[show]),
        show=show,
        failure=failure,
        kept=request.form if request.method == "POST" else {},
        preview=preview,
        announcements=latest_announcements(g.db_session, place),
        segment_channels=[name for name, s in CHANNELS.items() if s.sends_text],
    )
    return html, 422 if failure is not None else 200


@bp.get("/<slug>/inbox/<int:thread_id>")
@signed_in
def inbox_thread(slug: str, thread_id: int) -> ResponseReturnValue:
    """One resident's messages and the replies, with the forms that act on them."""
    place = community_of(slug)
    return _thread(place, thread_id)


@bp.post("/<slug>/inbox/<int:thread_id>/reply")
@signed_in
def inbox_reply(slug: str, thread_id: int) -> ResponseReturnValue:
    """Preview what the resident gets and its cost; then send it through the outbox."""
    place = community_of(slug)
    view = _view(place, thread_id)
    if request.form.get("step") != "send":
        cost = attempt(
            "reply",
            lambda: inbox.reply_cost(g.db_session, place, view.thread, text_in(request.form, "text")),
            field="text",
            claim=False,  # a preview sends nothing: the same page may still send
        )
        if isinstance(cost, Failure):
            return _thread(place, thread_id, failure=cost)
        return _thread(place, thread_id, cost=cost)

    def act() -> str:
        sent = inbox.reply(g.db_session, place, view.thread, text_in(request.form, "text"), now())
        return f"Reply sent by {_channel(sent.channel)}."

    return _submit(place, thread_id, "reply", act, field="text")


@bp.post("/<slug>/inbox/<int:thread_id>/label")
@signed_in
def inbox_label(slug: str, thread_id: int) -> ResponseReturnValue:
    place = community_of(slug)
    view = _view(place, thread_id)

    def act() -> str:
        inbox.set_label(view.thread, text_in(request.form, "label"))
        return f"Label {'set' if view.thread.label else 'removed'}."

    return _submit(place, thread_id, "label", act, field="label")


@bp.post("/<slug>/inbox/<int:thread_id>/<any(close, reopen):step>")
@signed_in
def inbox_status(slug: str, thread_id: int, step: str) -> ResponseReturnValue:
    place = community_of(slug)
    view = _view(place, thread_id)
    status = ThreadStatus.CLOSED if step == "close" else ThreadStatus.OPEN

    def act() -> str:
        inbox.set_status(view.thread, status)
        return "Conversation closed." if status == ThreadStatus.CLOSED else "Conversation open again."

    return _submit(place, thread_id, "status", act, field="status")


@bp.post("/<slug>/inbox/<int:thread_id>/reveal")
@signed_in
def inbox_reveal(slug: str, thread_id: int) -> ResponseReturnValue:
    """Show the resident's number on this page only (not kept anywhere); the audit trail says who asked."""
    place = community_of(slug)
    view = _view(place, thread_id)
    return _thread(place, thread_id, revealed=inbox.reveal(g.db_session, place, view.thread, now()))


def _view(place: Community, thread_id: int) -> inbox.ThreadView:
    try:
        return inbox.get_thread(g.db_session, place, thread_id)
    except NotFound:
        abort(404)


def _channel(name: str | None) -> str:
    """The channel as people name it; the console stands in for SMS."""
    spec = CHANNELS.get(name or "")
    return spec.title if spec is not None and spec.title else "SMS"


def _submit(
    place: Community, thread_id: int, form: str, action: Callable[[], str], *, field: str
) -> ResponseReturnValue:
    return submit(
        form,
        action,
        again=lambda failure: _thread(place, thread_id, failure=failure),
        then=url_for("inbox.inbox_thread", slug=place.slug, thread_id=thread_id),
        field=field,
    )


def _thread(
    place: Community,
    thread_id: int,
    *,
    failure: Failure | None = None,
    cost: SmsCost | None = None,
    revealed: list[str] | None = None,
) -> ResponseReturnValue:
    view = _view(place, thread_id)
    html = render_template(
        "dashboard/inbox_thread.html",
        community=place,
        view=view,
        messages=inbox.messages(g.db_session, view.thread),
        failure=failure,
        cost=cost,
        typed=request.form.get("text", "") if request.method == "POST" else "",
        revealed=revealed,
        channel_title=_channel,
    )
    return html, 422 if failure is not None else 200
