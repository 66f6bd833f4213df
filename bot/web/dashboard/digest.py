"""The council's weekly digest: who gets it and when, any week previewed as the council will read
it, and sending it now; the switch for the community's public page; the languages residents
may read; and whether its organisers must use two-factor sign-in."""

import re

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.context import get_db, now
from bot.domain.communities import set_digest, set_languages, set_public_page
from bot.domain.digest import Week, figures, last_completed, parse_week, week_in_progress
from bot.domain.quiet_hours import describe, set_quiet_hours
from bot.domain.two_factor import set_required
from bot.errors import InvalidInput
from bot.messaging.digest import send_week
from bot.messaging.mailer import mail_settings
from bot.text import digest as digest_text
from bot.text.catalogue import shipped_languages
from bot.text.languages import own_name
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, redirect_back, signed_in
from models import Community, Digest

bp = blueprint("digest", __name__)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@bp.get("/<slug>/digest")
@signed_in
def digest(slug: str):
    """Recipients, day and time; a week's digest as the council will see it; send now."""
    return _page(community_of(slug), request.args.get("week"))


@bp.post("/<slug>/digest/settings")
@signed_in
def digest_settings(slug: str):
    """Save who gets the digest and when, through the same service as `community digest`."""
    place = community_of(slug)
    form = {name: request.form.get(name, "") for name in ("recipients", "day", "time")}
    errors = {}
    # Each field is checked on its own, so every bad one says so; none is kept unless all are good.
    with g.db_session.begin_nested() as attempt:
        try:
            set_digest(
                g.db_session, place, recipients=[a for a in re.split(r"[\s,;]+", form["recipients"]) if a]
            )
        except InvalidInput as exc:
            errors["recipients"] = str(exc)
        if form["day"] in DAYS:
            set_digest(g.db_session, place, weekday=DAYS.index(form["day"]))
        else:
            errors["day"] = f"{form['day']!r} is not a day of the week"
        try:
            set_digest(g.db_session, place, at=form["time"].strip())
        except InvalidInput as exc:
            errors["time"] = str(exc)
        g.db_session.flush()
        if errors:
            attempt.rollback()
    if errors:
        return _page(place, None, form=form, errors=errors)
    return redirect_back(
        "digest.digest",
        (
            f"Digest for {place.slug}: {', '.join(place.digest_recipients) or 'nobody'}, "
            f"{DAYS[place.digest_weekday].capitalize()}s at {place.digest_time}."
        ),
        slug=place.slug,
    )


@bp.post("/<slug>/digest/send")
@signed_in
def digest_send(slug: str):
    """Send a week's digest now, exactly as `digest send` does: never twice for one week."""
    place = community_of(slug)
    week_text = request.form.get("week", "")
    try:
        week = _week(place, week_text)
    except InvalidInput as exc:
        return _page(place, week_text, errors={"week": str(exc)})
    community_id, iso = place.id, week.iso
    # send_week keeps its own transactions (it commits its claim before the mail goes); this
    # request's must end first, or on SQLite it would hold the write lock they wait for.
    g.db_session.commit()
    try:
        result = send_week(get_db(), community_id, week, now(), mail_settings(current_app))
    except InvalidInput as exc:  # the week has not ended
        result, message = None, f"Not sent: {exc}."
    if result == "sent":
        message = f"Digest {iso} sent."
    elif result == "already_sent":
        message = f"Digest {iso} was already sent: not sent again."
    elif result == "no_recipients":
        message = (
            "This community has no digest recipients: add them under “Who gets it, and when” above, "
            "then send."
        )
    elif result == "failed":
        message = f"Digest {iso} could not be sent ({_failure(community_id, iso)}); try again."
    flash(message, "message" if result in ("sent", "already_sent") else "error")
    return redirect(url_for("digest.digest", slug=slug, week=iso), code=303)


@bp.post("/<slug>/digest/public-page")
@signed_in
def public_page_switch(slug: str):
    """Switch the community's public page (/c/<slug>) on or off."""
    place = community_of(slug)
    set_public_page(place, request.form.get("public_page") == "on")
    return redirect_back("digest.digest", f"The public page is {_on_off(place)}.", slug=place.slug)


@bp.post("/<slug>/digest/two-factor")
@signed_in
def two_factor_switch(slug: str):
    """Require two-factor sign-in of every organiser, or no longer (as `community require-2fa`)."""
    place = community_of(slug)
    set_required(place, request.form.get("require") == "on")
    said = "requires" if place.require_two_factor else "no longer requires"
    return redirect_back(
        "digest.digest", f"{place.name} {said} two-factor sign-in of its organisers.", slug=place.slug
    )


@bp.post("/<slug>/digest/languages")
@signed_in
def languages(slug: str):
    """The languages residents may choose, and the one newcomers read first."""
    place = community_of(slug)
    asked, default = request.form.getlist("languages"), request.form.get("default", "")
    unknown = [code for code in dict.fromkeys([*asked, default]) if code and code not in shipped_languages()]
    if unknown:  # only a hand-made form sends one: say which, not that the default is wrong
        return _page(
            place,
            None,
            errors={
                "languages": f"no translation for {', '.join(unknown)}: "
                f"choose from {', '.join(shipped_languages())}"
            },
        )
    offered = [code for code in shipped_languages() if code in asked]
    if default not in offered:
        return _page(place, None, errors={"languages": "the default must be one of the languages offered"})
    try:
        set_languages(place, [default, *[code for code in offered if code != default]])
    except InvalidInput as exc:
        return _page(place, None, errors={"languages": str(exc)})
    names = ", ".join(own_name(code) for code in place.languages)
    return redirect_back(
        "digest.digest",
        f"Residents may read {names}; newcomers start in {own_name(place.languages[0])}.",
        slug=place.slug,
    )


@bp.post("/<slug>/digest/quiet-hours")
@signed_in
def quiet_hours(slug: str):
    """The hours when broadcasts wait, through the same service as `community quiet-hours`."""
    place = community_of(slug)
    quiet = {name: request.form.get(name, "").strip() for name in ("quiet_start", "quiet_end")}
    errors = {}
    with g.db_session.begin_nested() as attempt:
        for name, value in quiet.items():
            try:
                set_quiet_hours(place, **{name.removeprefix("quiet_"): value})
            except InvalidInput as exc:
                errors[name] = str(exc)
        g.db_session.flush()
        if errors:
            attempt.rollback()
    if errors:
        return _page(place, None, errors=errors, quiet=quiet)
    return redirect_back(
        "digest.digest", f"Quiet hours: {describe(place)} ({place.timezone}).", slug=place.slug
    )


def _page(
    place: Community,
    week_text: str | None,
    form: dict | None = None,
    errors: dict | None = None,
    quiet: dict | None = None,
):
    errors = dict(errors or {})
    form = form or {
        "recipients": "\n".join(place.digest_recipients),
        "day": DAYS[place.digest_weekday],
        "time": place.digest_time,
    }
    # The week in progress first: right after residents took part, that is where it shows.
    current = week_in_progress(now(), place.timezone)
    week_text = (week_text or "").strip() or current.iso
    week = preview = None
    if "week" not in errors:
        try:
            week = _week(place, week_text)
        except InvalidInput as exc:
            errors["week"] = str(exc)
    if week is not None:
        f = figures(g.db_session, place, week, now())
        preview = {
            # The email's body, its charts drawn as the email embeds them (data: URIs here)
            "html": digest_text.html_content(f, digest_text.chart_sources(f)),
            "body_style": digest_text.BODY_STYLE,
            "text": digest_text.text(f),
            "complete": f["complete"],
            "sent": _row(place, week),
        }
    html = render_template(
        "dashboard/digest.html",
        community=place,
        form=form,
        errors=errors,
        days=DAYS,
        week_text=week_text,
        week=week,
        preview=preview,
        weeks=[
            ("This week, so far", current.iso),
            ("Last week", last_completed(now(), place.timezone).iso),
        ],
        public_on=_on_off(place),
        languages=[(code, own_name(code)) for code in shipped_languages()],
        quiet=quiet or {"quiet_start": place.quiet_start, "quiet_end": place.quiet_end},
    )
    return html, 422 if errors else 200


def _week(place: Community, text: str) -> Week:
    """The week typed, in the range `digest preview` and `digest send` accept."""
    return parse_week(text, place.timezone)


def _row(place: Community, week: Week) -> Digest | None:
    return g.db_session.scalar(
        select(Digest).where(Digest.community_id == place.id, Digest.iso_week == week.iso)
    )


def _failure(community_id: int, iso: str) -> str:
    """Why the send failed, as send_week recorded it on the week's digest."""
    with get_db().transaction() as session:
        error = session.scalar(
            select(Digest.error).where(Digest.community_id == community_id, Digest.iso_week == iso)
        )
    return error or "see the log"


def _on_off(place: Community) -> str:
    return "on" if place.public_page else "off"
