"""Referring ideas to the council's services, from the Ideas page: the list of services (add,
change an address, remove), refer an idea to one (its authors are told; the service is emailed
its link once the referral is committed), and send a link again. The same services as
`commonpurse services ...` and `commonpurse ideas refer|send-again`."""

from collections.abc import Callable

from flask import current_app, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.context import get_db, now
from bot.domain import council_services, referrals
from bot.messaging.mailer import mail_settings
from bot.messaging.referrals import send_referral
from bot.text.links import public_url
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, signed_in
from bot.web.dashboard.forms import Failure, attempt, text_in
from bot.web.dashboard.ideas import _known, _queue
from models import Community, Referral

bp = blueprint("refer", __name__)


def referral_context(session: Session, place: Community) -> dict[str, object]:
    """What the Ideas page shows of referrals: each referred idea's latest referral (by idea
    number), the services to refer to, and the words for a referral's state."""
    return {
        "referred": {v.idea.number: v for v in referrals.referrals_of(session, place)},
        "services": council_services.services_of(session, place),
        "referable": referrals.REFERABLE,
        "referral_words": referrals.status_words,
        "days_waiting": lambda v: referrals.days_waiting(v.referral, now()),
    }


@bp.post("/<slug>/ideas/<int:number>/refer")
@signed_in
def ideas_refer(slug: str, number: int) -> ResponseReturnValue:
    """Refer an idea to a council service; its authors are told and the service emailed."""
    place = community_of(slug)

    def act() -> Referral:
        service = text_in(request.form, "service")
        return referrals.refer(g.db_session, place, _known(place, number), service, now())

    return _then_email(place, f"refer:{number}", act, "service", f"Idea #{number} referred")


@bp.post("/<slug>/ideas/<int:number>/send-again")
@signed_in
def ideas_send_again(slug: str, number: int) -> ResponseReturnValue:
    """A new link for the idea's referral (the old one stops working), emailed to the service."""
    place = community_of(slug)

    def act() -> Referral:
        return referrals.send_again(g.db_session, place, _known(place, number), now())

    return _then_email(place, f"resend:{number}", act, "service", f"A new link for idea #{number}")


@bp.post("/<slug>/services")
@signed_in
def services_add(slug: str) -> ResponseReturnValue:
    """Add a council service (or change its email address)."""
    place = community_of(slug)

    def act() -> str:
        name, email = text_in(request.form, "name"), text_in(request.form, "email")
        service = council_services.add_service(g.db_session, place, name, email)
        return f"Service {service.name} ({service.email}) listed."

    return _done(place, "service:add", act, "name")


@bp.post("/<slug>/services/remove")
@signed_in
def services_remove(slug: str) -> ResponseReturnValue:
    """Take a service off the list; referrals already made to it stay."""
    place = community_of(slug)

    def act() -> str:
        service = council_services.remove_service(g.db_session, place, text_in(request.form, "name"))
        return f"Service {service.name} removed."

    return _done(place, "service:remove", act, "name")


def _done(place: Community, form: str, action: Callable[[], str], field: str) -> ResponseReturnValue:
    result = attempt(form, action, field=field, shown={"name": "name", "email": "email"})
    if isinstance(result, Failure):
        return _queue(place, result)
    flash(result)
    return redirect(url_for("ideas.ideas", slug=place.slug) + "#services")


def _then_email(
    place: Community, form: str, action: Callable[[], Referral], field: str, done: str
) -> ResponseReturnValue:
    """Run `action`; once its referral is committed, email the service, and say how it went."""
    result = attempt(form, action, field=field, shown={"service": field})
    if isinstance(result, Failure):
        return _queue(place, result)
    referral_id, slug = result.id, place.slug
    g.db_session.commit()  # the email links to a referral that exists; no lock held while it goes
    sent = send_referral(
        get_db(),
        referral_id,
        now(),
        mail_settings(current_app),
        current_app.config["SECRET_KEY"],
        # The configured address only, as the API and CLI: the request's Host (or a forwarded
        # one) would let whoever sends it decide where the service's link points.
        public_url(),
    )
    if sent == "failed":
        with get_db().transaction() as after:  # this request's own transaction has ended
            why = after.get_one(Referral, referral_id).email_error
        flash(f"{done}, but the email to the service did not go ({why}): send it again below.", "error")
    else:
        flash(f"{done}: the service was emailed a link to answer at.")
    return redirect(url_for("ideas.ideas", slug=slug, status=request.form.get("status") or None))
