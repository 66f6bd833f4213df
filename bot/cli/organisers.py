"""`commonpurse organiser create|list|password|sessions|2fa` and `commonpurse token create|revoke`."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from bot.cli.commands import summary
from bot.cli.output import echo, emit, interactive, plural
from bot.context import get_db, now
from bot.domain import organiser_sessions, organisers, two_factor
from bot.errors import InvalidInput
from models import Organiser

organiser_group = AppGroup("organiser", help=summary("organiser"))
token_group = AppGroup("token", help=summary("token"))


@organiser_group.command("create", short_help="Create an organiser account.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--community", "slugs", multiple=True, required=True, help="A community they run; repeat for more."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (what happens anyway when stdin is not a terminal).",
)
# On the command line a password stays in the shell's history and shows in `ps`: kept for
# tests and old scripts, left out of --help.
@click.option("--password", hidden=True)
def create(email: str, name: str, slugs: tuple[str, ...], password_stdin: bool, password: str | None) -> None:
    """Create an organiser account, with the password they sign in to the dashboard with.

    At a terminal the password is asked for, hidden, twice. Otherwise it is the first line
    of stdin, e.g. from a file: commonpurse organiser create ... < password.txt
    """
    if password is not None and password_stdin:
        raise click.UsageError("give --password or --password-stdin, not both")
    if password is None:
        password = _read_password(password_stdin)
    _check_password(password)
    with get_db().transaction() as session:
        organiser = organisers.create_organiser(
            session, email=email, name=name, password=password, community_slugs=list(slugs), now=now()
        )
        done = f"Organiser {organiser.email} created for {', '.join(slugs)}."
    echo(done)


@organiser_group.command("password")
@click.option("--email", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of stdin (what happens anyway "
    "when stdin is not a terminal).",
)
def password(email: str, password_stdin: bool) -> None:
    """Set an organiser's new password; their dashboard sessions end."""
    new = _read_password(password_stdin)
    _check_password(new)
    with get_db().transaction() as session:
        organiser = organisers.by_email(session, email)
        organisers.set_password(session, organiser, new)
        organiser_sessions.end_sessions(session, organiser, now())
        done = f"New password set for {email.strip().lower()}; they are signed out everywhere."
    echo(done)


def _read_password(from_stdin: bool) -> str:
    """The password: one line of stdin in a script, a hidden prompt (asked twice) at a terminal."""
    if from_stdin or not interactive():
        return sys.stdin.readline().rstrip("\r\n") if sys.stdin else ""
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, value_proc=_prompted)


def _prompted(password: str) -> str:
    """A typed password, checked so that a short one is asked for again, not refused."""
    try:
        _check_password(password)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    return password


def _check_password(password: str) -> None:
    """Refuse an empty or short password in one line (its text is never shown)."""
    if not password:
        raise InvalidInput(
            "the password is empty: type it at the prompt, or give it as the first line of stdin"
        )
    if len(password.strip()) < organisers.MIN_PASSWORD:
        raise InvalidInput(
            f"the password must be at least {organisers.MIN_PASSWORD} characters, "
            f"not counting spaces at either end (this one has "
            f"{len(password.strip())})"
        )


@organiser_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """List organisers and the communities they run."""
    with get_db().transaction() as session:
        rows = [
            {"email": o.email, "name": o.name, "communities": [c.slug for c in o.communities]}
            for o in session.scalars(select(Organiser).order_by(Organiser.email))
        ]
    emit(rows, [("EMAIL", "email"), ("NAME", "name"), ("COMMUNITIES", "communities")], as_json)


@organiser_group.command("sessions", short_help="Count or end organisers' dashboard sessions.")
@click.option("--email", help="One organiser's sessions; left out, every organiser's.")
@click.option("--revoke", is_flag=True, help="End them: whoever holds one is signed out at once.")
def sessions(email: str | None, revoke: bool) -> None:
    """Show how many dashboard sessions organisers have signed in, or end them."""
    with get_db().transaction() as session:
        if email is not None:
            chosen = [organisers.by_email(session, email)]
        else:
            chosen = list(session.scalars(select(Organiser).order_by(Organiser.email)))
        lines = []
        for organiser in chosen:
            if revoke:
                ended = organiser_sessions.end_sessions(session, organiser, now())
                lines.append(f"{organiser.email}: Ended {plural(ended, 'session')}.")
            else:
                live = organiser_sessions.live_sessions(session, organiser, now())
                lines.append(f"{organiser.email}: {plural(len(live), 'session')}")
    for line in lines:
        echo(line)


two_factor_group = AppGroup("2fa", help="Organisers' two-factor sign-in (an authenticator app's codes).")
organiser_group.add_command(two_factor_group)


@two_factor_group.command("status", short_help="Who signs in with a second factor.")
@click.argument("email", required=False)
@click.option("--json", "as_json", is_flag=True)
def two_factor_status(email: str | None, as_json: bool) -> None:
    """Show whether each organiser (or the one whose EMAIL is given) has two-factor sign-in,
    since when, how many recovery codes they have left, and whether a community requires it."""
    with get_db().transaction() as session:
        if email is not None:
            chosen = [organisers.by_email(session, email)]
        else:
            chosen = list(session.scalars(select(Organiser).order_by(Organiser.email)))
        rows = [
            {
                "email": o.email,
                "two_factor": "on" if two_factor.enabled(o) else "off",
                "since": o.totp_enabled_at.isoformat(timespec="minutes") if o.totp_enabled_at else None,
                "recovery_codes_left": two_factor.recovery_codes_left(session, o)
                if two_factor.enabled(o)
                else 0,
                "required_by": [c.slug for c in o.communities if c.require_two_factor],
            }
            for o in chosen
        ]
    columns = [
        ("EMAIL", "email"),
        ("2FA", "two_factor"),
        ("SINCE", "since"),
        ("RECOVERY CODES", "recovery_codes_left"),
        ("REQUIRED BY", "required_by"),
    ]
    emit(rows, columns, as_json)


@two_factor_group.command("reset", short_help="Take away an organiser's second factor.")
@click.argument("email")
def two_factor_reset(email: str) -> None:
    """Take away the second factor of the organiser whose EMAIL this is (a lost phone and lost
    recovery codes): they sign in with their password and set it up again, as a community that
    requires it makes them. Their dashboard sessions end. Recorded in the audit trail of each
    community they run."""
    with get_db().transaction() as session:
        organiser = organisers.by_email(session, email)
        had = two_factor.enabled(organiser)
        ended = two_factor.reset(session, organiser, now())
        done = (
            f"Two-factor sign-in {'reset' if had else 'was not on'} for {organiser.email}; "
            f"ended {plural(ended, 'session')}."
        )
    echo(done)


@token_group.command("create")
@click.option("--email", required=True, help="The organiser the token acts for.")
@click.option("--name", default="token", show_default=True, help="What it is for, e.g. 'laptop'.")
def create_token(email: str, name: str) -> None:
    """Make an API token. It is shown once: keep it safe."""
    with get_db().transaction() as session:
        token = organisers.create_token(session, organisers.by_email(session, email), name, now())
    echo(token)


@token_group.command("revoke")
@click.option("--email", required=True)
@click.argument("prefix")
def revoke(email: str, prefix: str) -> None:
    """Revoke a token by its first ten characters."""
    with get_db().transaction() as session:
        organisers.revoke_token(session, organisers.by_email(session, email), prefix, now())
    echo("Token revoked.")
