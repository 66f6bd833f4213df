"""Ideas page: the moderation queue, newest first; shortlist, reject and merge through the same
services as `commonpurse ideas ...`, so each author is told exactly as from the CLI. Beside each
open idea, its likely duplicates, each with a button that merges the pair. An idea left as a
voice message on the phone line has a player (the recording is fetched from the provider with
the account's credentials, never linked to) and a box for the organiser to type what was said."""

import logging
from collections.abc import Callable

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import moderation
from bot.domain.duplicates import duplicates_among, which_stays
from bot.domain.ideas import idea_by_number, ideas_of
from bot.domain.notify import can_hear, residents_split, with_whatsapp
from bot.errors import InvalidInput, NotFound
from bot.text.digest import status_word
from bot.text.money import format_pence
from bot.text.organiser_text import SmsCost, plain, sms_cost
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.forms import MAX_NUMBER, Failure, amount_in, attempt, number_in, submit, text_in
from channels.errors import SendError
from channels.registry import CHANNELS
from models import IDEA_STATUSES, Community

logger = logging.getLogger(__name__)

bp = blueprint("ideas", __name__)

# Which forms an idea gets: the services' own lists of what each action accepts.
SHORTLISTABLE = moderation.OPEN + moderation.RECONSIDERED
OPEN = moderation.OPEN


@bp.get("/<slug>/ideas")
@signed_in
def ideas(slug: str) -> ResponseReturnValue:
    """The moderation queue, newest first, optionally of one status."""
    return _queue(community_of(slug))


@bp.post("/<slug>/ideas/<int:number>/shortlist")
@signed_in
def ideas_shortlist(slug: str, number: int) -> ResponseReturnValue:
    """Put an idea forward for a vote at the agreed cost (or its rough cost); its author is told."""
    place = community_of(slug)

    def act() -> str:
        cost = amount_in(request.form, "cost", required=False)
        idea = moderation.shortlist(g.db_session, place, _known(place, number), cost, now())
        assert idea.cost_pence is not None  # shortlist refuses an idea without a cost
        return f"Idea #{idea.number} shortlisted at {format_pence(idea.cost_pence)}."

    return _submit(place, f"shortlist:{number}", act, field="cost")


@bp.post("/<slug>/ideas/<int:number>/reject")
@signed_in
def ideas_reject(slug: str, number: int) -> ResponseReturnValue:
    """Decline an idea with a reason its author is told (asked first if the SMS is long, as the CLI)."""
    place = community_of(slug)

    def act() -> SmsCost | str:
        reason = plain(text_in(request.form, "reason"))
        if reason and request.form.get("confirmed") != "yes":
            cost = _rejection_cost(place, number, reason)
            if cost.worth_asking:
                return cost
        moderation.reject(g.db_session, place, _known(place, number), reason, now())
        return f"Idea #{number} rejected."

    result = attempt(f"reject:{number}", act, field="reason")
    if isinstance(result, Failure):
        return _queue(place, result)
    if isinstance(result, SmsCost):
        return render_template(
            "dashboard/ideas_reject.html",
            community=place,
            number=number,
            reason=plain(request.form.get("reason", "")),
            cost=result,
            status=request.form.get("status", ""),
        )
    flash(result)
    return redirect(_back(place))


@bp.post("/<slug>/ideas/<int:number>/merge")
@signed_in
def ideas_merge(slug: str, number: int) -> ResponseReturnValue:
    """Merge a duplicate into another idea; both authors are credited, the duplicate's is told."""
    place = community_of(slug)

    def act() -> str:
        into = number_in(request.form, "into", required=True)
        moderation.merge(g.db_session, place, _known(place, number), into, now())
        return f"Idea #{number} merged into #{into}."

    return _submit(place, f"merge:{number}", act, field="into")


@bp.post("/<slug>/ideas/<int:number>/text")
@signed_in
def ideas_text(slug: str, number: int) -> ResponseReturnValue:
    """Type up an idea left as a voice message: what the organiser heard becomes its words."""
    place = community_of(slug)

    def act() -> str:
        moderation.type_up(g.db_session, place, _known(place, number), text_in(request.form, "text"))
        return f"Idea #{number} typed up."

    return _submit(place, f"text:{number}", act, field="text")


@bp.get("/<slug>/ideas/<int:number>/recording")
@signed_in
def ideas_recording(slug: str, number: int) -> ResponseReturnValue:
    """The voice message an idea was left as, fetched from the provider that recorded it."""
    place = community_of(slug)
    try:
        idea = idea_by_number(g.db_session, place, _known(place, number))
    except NotFound:
        abort(404)
    fetch = next((spec.recording for spec in CHANNELS.values() if spec.recording), None)
    if idea.recording_sid is None or fetch is None:
        abort(404)
    try:
        recording = fetch(current_app.config, idea.recording_sid)
    except LookupError:
        abort(404)
    except SendError as exc:
        logger.warning("recording of idea #%s not fetched: %s", number, exc)
        abort(502)
    response = Response(recording.content, mimetype=recording.media_type)
    response.headers["Cache-Control"] = "private, no-store"  # a resident's voice: not kept anywhere
    return response


def _known(place: Community, number: int) -> int:
    """An idea number from the URL; beyond any row's, it is simply not there."""
    if number > MAX_NUMBER:
        raise NotFound(f"no idea #{number} in {place.slug}")
    return number


def _rejection_cost(place: Community, number: int, reason: str) -> SmsCost:
    """What the authors who can hear it get, as `ideas reject` shows it before sending."""
    idea = idea_by_number(g.db_session, place, _known(place, number))
    authors = moderation.authors(g.db_session, idea)
    told = sum(1 for author in authors if can_hear(author))
    cost = sms_cost(
        "idea_rejected",
        told,
        place.default_language,
        own="reason",
        number=idea.number,
        reason=reason,
        community=place.name,
    )
    return with_whatsapp(cost, residents_split(g.db_session, place, authors, now()))


def _submit(place: Community, form: str, action: Callable[[], str], *, field: str) -> ResponseReturnValue:
    """Run one of an idea's forms: back to the queue, or the queue again with the refusal."""
    return submit(form, action, again=lambda failure: _queue(place, failure), then=_back(place), field=field)


def _back(place: Community) -> str:
    """The queue, filtered as it was when the form was posted."""
    return url_for("ideas.ideas", slug=place.slug, status=request.form.get("status") or None)


def _beside_its_field(failure: Failure, rows: list) -> bool:
    """Whether the page shows the form that failed (a stale page may ask about an idea that is
    not listed, or no longer takes that action): if not, the message goes at the top."""
    action, _, number = failure.form.partition(":")
    if action in ("refer", "resend", "service"):  # the forms of bot.web.dashboard.referrals
        return action == "service" or any(str(i.number) == number for i in rows)
    if action == "text":
        return any(str(i.number) == number and i.recording_sid and i.status in OPEN for i in rows)
    allowed = SHORTLISTABLE if action == "shortlist" else OPEN
    return any(str(i.number) == number and i.status in allowed for i in rows)


def _queue(place: Community, failure: Failure | None = None):
    from bot.web.dashboard.referrals import referral_context  # it builds on this page

    status = request.values.get("status") or None
    filter_error = None
    try:
        rows = ideas_of(g.db_session, place, status)
    except InvalidInput as exc:
        rows, filter_error = [], str(exc)
    # "merged into #4" and likely duplicates: other ideas, which a filtered list may not hold.
    everything = ideas_of(g.db_session, place) if rows else []
    numbers = {i.id: i.number for i in everything}
    by_number = {i.number: i for i in everything}
    elsewhere = failure if failure and not _beside_its_field(failure, rows) else None
    html = render_template(
        "dashboard/ideas.html",
        community=place,
        ideas=rows,
        status=status or "",
        statuses=IDEA_STATUSES,
        status_word=status_word,
        filter_error=filter_error,
        failure=failure,
        elsewhere=elsewhere,
        kept=request.form,
        numbers=numbers,
        shortlistable=SHORTLISTABLE,
        open_statuses=OPEN,
        duplicates=duplicates_among(everything),
        by_number=by_number,
        which_stays=which_stays,
        **referral_context(g.db_session, place),
    )
    return html, 422 if failure or filter_error else 200
