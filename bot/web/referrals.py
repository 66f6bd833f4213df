"""The page a council service answers a referral at: /referrals/<token>, from the email's
signed link, with no account. An expired, replaced or altered link is refused with a page
that says why; a good one shows the idea and its support, the answers given so far, and a form
(CSRF and a one-time token, as every form) to answer, or to answer again."""

from datetime import date

from flask import Blueprint, current_app, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue

from bot.context import get_db, now
from bot.domain import audit, referral_links
from bot.domain.referrals import (
    ANSWER_WORDS,
    ReferralView,
    answer,
    days_waiting,
    latest_referral,
    referrals_of,
    support,
    view_of,
)
from bot.errors import InvalidInput
from bot.messaging.referral_email import support_words
from bot.web.dashboard.forms import Failure, attempt, text_in
from models import Community, Referral, ReferralReply
from models.states import IdeaStatus, ReferralAnswer

bp = Blueprint("referrals", __name__, template_folder="templates")

EXPIRED = "This link has expired. Ask the organisers to send it again: the new link will work for 60 days."
REPLACED = (
    "A newer link was sent for this referral, so this one no longer works. Use the link in the "
    "latest email, or ask the organisers to send it again."
)
MOVED_ON = (
    "This idea is no longer with your service: the organisers have since referred it elsewhere "
    "or put it to a vote. There is nothing to answer here."
)
ALTERED = "This link is not valid: it may have been cut short or changed. Open it from the email again."


@bp.route("/referrals/<token>", methods=["GET", "POST"])
def answer_page(token: str) -> ResponseReturnValue:
    """The referral's page; a posted answer is recorded, and its residents are told."""
    with get_db().transaction() as session:
        try:
            claim = referral_links.read(current_app.config["SECRET_KEY"], token[:500], now())
        except referral_links.LinkExpired:
            return _refused("expired", EXPIRED, 410)
        except referral_links.LinkAltered:
            return _refused("altered", ALTERED, 404)
        referral = session.get(Referral, claim.referral_id)
        if referral is None:
            return _refused("altered", ALTERED, 404)
        if referral.link_version != claim.version:
            return _refused("expired", REPLACED, 410)
        view = view_of(session, referral)
        latest = latest_referral(session, view.idea)
        if view.idea.status != IdeaStatus.REFERRED or latest is None or latest.id != referral.id:
            # Referred again since, or put to a vote: this service's answer would tell residents
            # something about an idea that is no longer with it.
            return _refused("expired", MOVED_ON, 410)
        community = session.get_one(Community, referral.community_id)
        failure = None
        if request.method == "POST":
            g.db_session = session
            with audit.acting_as(f"{view.service.name} (council service, by its link)"):
                result = attempt("answer", lambda: _answer(community, referral), field="answer")
                session.flush()
            if not isinstance(result, Failure):
                flash("Thank you: your answer is recorded, and the residents will be told.")
                return redirect(request.path, code=303)
            failure = result
            view = view_of(session, referral)
        html = render_template(
            "public/referral.html",
            community=community,
            view=view,
            support=support_words(support(session, view.idea)),
            answers=ANSWER_WORDS,
            failure=failure,
            kept=request.form if failure else {},
            words=_words,
        )
        return html, 422 if failure else 200


def _answer(community: Community, referral: Referral) -> None:
    form = request.form
    kind = form.get("answer", "")
    day = form.get("on_date", "").strip()
    on = None
    if day:
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{day!r} is not a date like 2027-01-15", field="on_date") from None
    answer(g.db_session, community, referral, kind, now(), on=on, reason=text_in(form, "reason"))


def _words(view: ReferralView, reply: ReferralReply) -> str:
    words = ANSWER_WORDS[ReferralAnswer(reply.answer)]
    if reply.on_date:
        words += f" ({reply.on_date.isoformat()})"
    return words + (f": {reply.reason}" if reply.reason else "")


def public_rows(session, community: Community, at) -> list[dict[str, object]]:
    """Referrals as the public page lists them: the idea, the service, the latest answer, and
    the days it waited (to the first answer, or until now). Nobody is named."""
    rows = []
    for view in referrals_of(session, community):
        reply = view.latest
        status = "Waiting for an answer"
        if reply is not None:
            status = ANSWER_WORDS[ReferralAnswer(reply.answer)].capitalize()
            if reply.on_date is not None:
                day = f"{reply.on_date.day} {reply.on_date:%b %Y}"
                status += (" by " if reply.answer == ReferralAnswer.WILL_DO else " for ") + day
            if reply.reason:
                status += f": {reply.reason}"
        days = days_waiting(view.referral, at)
        rows.append(
            {
                "title": view.title,
                "service": view.service.name,
                "status": status,
                "days": f"{days} day{'' if days == 1 else 's'}",
                "answered": reply is not None,
            }
        )
    return rows


def _refused(kind: str, message: str, status: int) -> ResponseReturnValue:
    return render_template("public/referral_refused.html", kind=kind, message=message), status
