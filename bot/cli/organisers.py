"""`commonpurse organiser create|list` and `commonpurse token create|revoke`."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from bot.cli.output import echo, emit
from bot.context import get_db, now
from bot.domain import organisers
from models import Organiser

organiser_group = AppGroup("organiser", help="Organiser accounts.")
token_group = AppGroup("token", help="API tokens for the JSON API.")


@organiser_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--community", "slugs", multiple=True, required=True,
              help="A community they run; repeat for more.")
@click.password_option(help="At least 12 characters (asked for when not given).")
def create(email, name, slugs, password) -> None:
    """Create an organiser account."""
    with get_db().transaction() as session:
        organiser = organisers.create_organiser(session, email=email, name=name, password=password,
                                                community_slugs=list(slugs), now=now())
        echo(f"Organiser {organiser.email} created for {', '.join(slugs)}.")


@organiser_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json) -> None:
    """List organisers and the communities they run."""
    with get_db().transaction() as session:
        rows = [{"email": o.email, "name": o.name, "communities": [c.slug for c in o.communities]}
                for o in session.scalars(select(Organiser).order_by(Organiser.email))]
    emit(rows, [("EMAIL", "email"), ("NAME", "name"), ("COMMUNITIES", "communities")], as_json)


@token_group.command("create")
@click.option("--email", required=True, help="The organiser the token acts for.")
@click.option("--name", default="token", show_default=True, help="What it is for, e.g. 'laptop'.")
def create_token(email, name) -> None:
    """Make an API token. It is shown once: keep it safe."""
    with get_db().transaction() as session:
        token = organisers.create_token(session, organisers.by_email(session, email), name, now())
    echo(token)


@token_group.command("revoke")
@click.option("--email", required=True)
@click.argument("prefix")
def revoke(email, prefix) -> None:
    """Revoke a token by its first ten characters."""
    with get_db().transaction() as session:
        organisers.revoke_token(session, organisers.by_email(session, email), prefix, now())
    echo("Token revoked.")


def register(cli: click.Group) -> None:
    cli.add_command(organiser_group)
    cli.add_command(token_group)
