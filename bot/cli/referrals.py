"""`commonpurse services add|list|remove` (the council's services a community refers ideas to)
and `commonpurse ideas refer|send-again|referrals` (referring an idea, its link sent again, and
where each referral stands)."""

import click
from flask import current_app
from flask.cli import AppGroup

from bot.cli.commands import summary
from bot.cli.ideas import ideas_group
from bot.cli.output import echo, emit
from bot.cli.params import ID
from bot.context import get_db, now
from bot.domain import council_services, referrals
from bot.domain.communities import by_slug
from bot.messaging.mailer import mail_settings
from bot.messaging.referrals import send_referral
from bot.text.links import public_url
from models import Referral

services_group = AppGroup("services", help=summary("services"))
community_option = click.option("--community", "slug", required=True, help="Community slug.")


@services_group.command("list", short_help="List the council's services, with their email.")
@community_option
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_services(slug: str, as_json: bool) -> None:
    """List the services ideas can be referred to."""
    with get_db().transaction() as session:
        rows = [
            {"name": s.name, "email": s.email}
            for s in council_services.services_of(session, by_slug(session, slug))
        ]
    emit(rows, [("SERVICE", "name"), ("EMAIL", "email")], as_json)


@services_group.command("add", short_help="Add a service (or change its email).")
@community_option
@click.argument("name")
@click.option("--email", required=True, help="Where the service gets referrals.")
def add_service(slug: str, name: str, email: str) -> None:
    """Add a council service ideas can be referred to, or change its email address."""
    with get_db().transaction() as session:
        service = council_services.add_service(session, by_slug(session, slug), name, email)
        done = f"Service {service.name} ({service.email})."
    echo(done)


@services_group.command("remove", short_help="Take a service off the list.")
@community_option
@click.argument("name")
def remove_service(slug: str, name: str) -> None:
    """Take a service off the list (referrals already made to it stay)."""
    with get_db().transaction() as session:
        service = council_services.remove_service(session, by_slug(session, slug), name)
        done = f"Service {service.name} removed."
    echo(done)


@ideas_group.command("refer", short_help="Refer an idea to a council service; it is emailed.")
@community_option
@click.argument("number", type=ID)
@click.option("--service", "service", required=True, help="The service's name, e.g. Highways.")
def refer(slug: str, number: int, service: str) -> None:
    """Refer an idea to a council service instead of funding it: its authors are told, and the
    service is emailed a link to answer at (no account needed)."""
    with get_db().transaction() as session:
        referral = referrals.refer(session, by_slug(session, slug), number, service, now())
        referral_id, name = referral.id, referrals.view_of(session, referral).service.name
    echo(f"Idea #{number} referred to {name}.")
    _email(referral_id)


@ideas_group.command("send-again", short_help="Email a referral's service a new link.")
@community_option
@click.argument("number", type=ID)
def send_again(slug: str, number: int) -> None:
    """Email the service of an idea's referral a new link (the old one stops working): for a
    link that expired, or an email that did not go."""
    with get_db().transaction() as session:
        referral_id = referrals.send_again(session, by_slug(session, slug), number, now()).id
    _email(referral_id)


@ideas_group.command("referrals", short_help="List referred ideas, their service and answer.")
@community_option
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_referrals(slug: str, as_json: bool) -> None:
    """List the ideas referred to council services: the latest answer, and days waiting."""
    with get_db().transaction() as session:
        rows = [
            referrals.referral_json(view, now())
            for view in referrals.referrals_of(session, by_slug(session, slug))
        ]
    columns = [("#", "idea"), ("SERVICE", "service"), ("DAYS", "days_waiting"), ("STATUS", "status_words")]
    emit(rows, columns, as_json)


def _email(referral_id: int) -> None:
    app = current_app
    result = send_referral(
        get_db(), referral_id, now(), mail_settings(app), app.config["SECRET_KEY"], public_url()
    )
    if result == "failed":
        with get_db().transaction() as session:
            why = session.get_one(Referral, referral_id).email_error
        raise click.ClickException(
            f"the email to the service was not sent ({why}); try `ideas send-again` once that is put right"
        )
    echo("The service was emailed a link to answer at." if result == "sent" else "Already emailed.")
