"""Inbox page: residents' messages the bot could not place, a thread per resident, newest first;
the organiser reads one, replies on the resident's channel (its SMS cost shown first), labels,
closes or reopens it, and may reveal the resident's number (recorded in the audit trail)."""

from collections.abc import Callable

from flask import abort, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import inbox
from bot.errors import NotFound
from bot.text.organiser_text import SmsCost
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.forms import Failure, attempt, submit, text_in
from channels.registry import CHANNELS
from models import Community
from models.states import ThreadStatus

bp = blueprint("inbox", __name__)

SHOWN = {"open": ThreadStatus.OPEN, "closed": ThreadStatus.CLOSED, "all": None}


@bp.get("/<slug>/inbox", endpoint="inbox")
@signed_in
def inbox_page(slug: str) -> ResponseReturnValue:
    """The community's threads, newest first: the open ones unless asked for others."""
    place = community_of(slug)
    show = request.args.get("show", "open")
    if show not in SHOWN:
        show = "open"
    return render_template(
        "dashboard/inbox.html",
        community=place,
        rows=inbox.threads(g.db_session, place, SHOWN[show]),
        show=show,
    )


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
