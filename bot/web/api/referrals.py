"""The council's services, and ideas referred to them: list, add and remove services; refer an
idea (the service is emailed its link once the referral is committed), send a link again, and
list referrals with their latest answer and days waiting."""

from flask import current_app, jsonify

from bot.context import get_db, now
from bot.domain import council_services, referrals
from bot.messaging.mailer import mail_settings
from bot.messaging.referrals import send_referral
from bot.text.links import public_url
from bot.web.api import blueprint, community_route, field
from models import CouncilService, Referral

bp = blueprint("api_referrals", __name__)


def _service(service: CouncilService) -> dict:
    return {"name": service.name, "email": service.email}


@community_route(bp, "/services")
def services(session, community, body):
    return jsonify(services=[_service(s) for s in council_services.services_of(session, community)])


@community_route(bp, "/services", methods=("POST",), endpoint="add_service")
def add_service(session, community, body):
    name = field(body, "name", str, required=True)
    email = field(body, "email", str, required=True)
    return jsonify(_service(council_services.add_service(session, community, name, email))), 201


@community_route(bp, "/services/remove", methods=("POST",))
def remove_service(session, community, body):
    name = field(body, "name", str, required=True)
    return jsonify(_service(council_services.remove_service(session, community, name)))


@community_route(bp, "/referrals")
def referrals_list(session, community, body):
    return jsonify(
        referrals=[referrals.referral_json(v, now()) for v in referrals.referrals_of(session, community)]
    )


@community_route(bp, "/ideas/<int:number>/refer", methods=("POST",))
def refer(session, community, body, number):
    service = field(body, "service", str, required=True)
    referral = referrals.refer(session, community, number, service, now())
    return _emailed(session, referral), 201


@community_route(bp, "/ideas/<int:number>/send-again", methods=("POST",))
def send_again(session, community, body, number):
    return _emailed(session, referrals.send_again(session, community, number, now()))


def _emailed(session, referral: Referral):
    """The referral, committed, then its email sent (its result in "email")."""
    session.commit()  # the email links to a referral that exists, and no lock is held while it goes
    result = send_referral(
        get_db(),
        referral.id,
        now(),
        mail_settings(current_app),
        current_app.config["SECRET_KEY"],
        public_url(),
    )
    with get_db().transaction() as after:  # this request's own transaction has ended
        view = referrals.view_of(after, after.get_one(Referral, referral.id))
        return jsonify({**referrals.referral_json(view, now()), "email": result})
