"""A community's public page, /c/<slug>: where the money is going, what residents chose, and how
to vote in the open round. No sign-in; nothing on it says who a resident is."""

import logging
from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from markupsafe import escape
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from bot.context import get_db, now
from bot.domain import chain, grant_data, ledger
from bot.domain.ballots import current_round
from bot.domain.certificate import certificate
from bot.domain.communities import by_slug
from bot.domain.outcome import TIE_BREAKING
from bot.domain.overview import overview
from bot.domain.privacy import retention_days
from bot.domain.projects import ProjectView, projects_of
from bot.domain.receipts import look_up
from bot.domain.rounds import get_round, rounds_of
from bot.domain.serialise import round_json
from bot.errors import NotFound
from bot.messaging.spool import is_outage
from bot.text.catalogue import render
from bot.text.json_text import to_json
from bot.text.money import format_pence
from bot.text.round_messages import how_to_vote
from bot.text.times import Moment, spoken
from bot.web.referrals import public_rows
from channels.phone import national
from models import Community, Round
from models.states import AllocationStatus, RoundMethod, RoundStatus

logger = logging.getLogger(__name__)
bp = Blueprint(
    "public", __name__, template_folder="templates", static_folder="static", static_url_path="/c/static"
)


@bp.context_processor
def _states() -> dict[str, object]:
    """What the page compares rows with, as code does."""
    return {"RoundMethod": RoundMethod}


def _copies() -> dict[str, tuple[str, datetime, str]]:
    """The page as this process last drew it, per community, with when and the community's
    timezone: shown, its age marked, while the database is away, so a resident with the link
    still sees where the money is going. A page switched off (404) is forgotten at once."""
    copies: dict[str, tuple[str, datetime, str]] = current_app.extensions.setdefault("public_pages", {})
    return copies


@bp.get("/c/<slug>")
def page(slug: str):
    """The community's spendometer: money, funded projects, news, results and the open round."""
    try:
        html, tz = _page(slug)
    except HTTPException:
        _copies().pop(slug, None)
        raise
    except DBAPIError as exc:
        if not is_outage(exc) or slug not in _copies():
            raise  # a 503 (bot.web.outage), or a 500 for anything but an outage
        return _stale(slug, exc)
    _copies()[slug] = (html, now(), tz)
    return html


def _stale(slug: str, exc: DBAPIError) -> tuple[str, int, dict[str, str]]:
    """The last good copy of the page, saying when it was drawn."""
    html, at, tz = _copies()[slug]
    age = max(0, int((now() - at).total_seconds()))
    logger.warning(
        "database unavailable: /c/%s served as drawn %s s ago (%s)", slug, age, type(exc.orig).__name__
    )
    minutes = age // 60
    ago = "less than a minute ago" if minutes < 1 else f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    note = (
        f'<p class="stale" role="status">This page is shown as it was at {escape(spoken(at, tz))} ({ago}): '
        "we cannot reach our records just now, so it may be out of date.</p>"
    )
    return html.replace("<main>", "<main>\n  " + note, 1), 200, {"Age": str(age), "Cache-Control": "no-store"}


def _page(slug: str) -> tuple[str, str]:
    """The page, and the community's timezone."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        view = overview(session, community, now())
        open_round = current_round(session, community)
        news = view.money.latest_update
        progress = {p.idea.id: _progress(p, community) for p in projects_of(session, community)}
        html = render_template(
            "public/page.html",
            community=community,
            money=view.money,
            bar=view.bar,
            committed_unspent=view.committed_unspent,
            pence=format_pence,
            news={"text": news.text, "at": spoken(news.created_at, community.timezone)} if news else None,
            funded=[
                state
                for state in ledger.allocation_states(session, community)
                if state.status != AllocationStatus.VOID
            ],
            progress=progress,
            results=[
                _result(session, r, community)
                for r in rounds_of(session, community)
                if r.status == RoundStatus.CLOSED and not r.imported
            ],
            open_round=open_round,
            record=chain.head(session, community),
            referrals=public_rows(session, community, now()),
            how=how_to_vote(open_round, community.default_language) if open_round else None,
            closes=spoken(open_round.closes_at, community.timezone) if open_round else None,
            sms_number=national(community.sms_number),
            whatsapp=_whatsapp(community),
            telegram=_telegram(community),
            CLOSED=AllocationStatus.CLOSED,
            grant_data=grant_data.publishes(community),
        )
        return html, community.timezone


@bp.get("/c/<slug>/privacy")
def privacy(slug: str):
    """The privacy notice, from the community's settings: who is responsible and how to write,
    what is kept, why and for how long, who it is shared with, and residents' rights. Served
    even where the public page is switched off: residents are owed it either way."""
    with get_db().transaction() as session:
        try:
            community = by_slug(session, slug)
        except NotFound:
            abort(404)
        return render_template(
            "public/privacy.html",
            community=community,
            days=retention_days(),
            sms_number=national(community.sms_number),
        )


def _community(session, slug: str) -> Community:
    """The community whose page this is; 404 when there is none, or its page is switched off
    (as if there were no page at all)."""
    try:
        community = by_slug(session, slug)
    except NotFound:
        abort(404)
    if not community.public_page:
        abort(404)
    return community


def _public_round(session, community: Community, number: int) -> Round:
    """A round residents were asked to vote in (open or closed); 404 for one not yet open,
    called off, imported from a file, or not there."""
    try:
        round_ = get_round(session, community, number)
    except NotFound:
        abort(404)
    if round_.imported or round_.status not in (RoundStatus.OPEN, RoundStatus.CLOSED):
        abort(404)
    return round_


@bp.get("/c/<slug>/rounds/<int:number>")
def round_page(slug: str, number: int):
    """A round: while open, its options and how to vote, and nothing of the tally; once closed,
    the result, the anonymous ballots as a .pb file with its SHA-256, and a receipt lookup."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        round_ = _public_round(session, community, number)
        typed = request.args.get("receipt", "")[:40]
        published = round_.status == RoundStatus.CLOSED and round_.ballot_file_sha256 is not None
        lookup = look_up(session, round_, typed) if typed and published else None
        return render_template(
            "public/round.html",
            community=community,
            round=round_,
            open=round_.status == RoundStatus.OPEN,
            result=_result(session, round_, community) if round_.status == RoundStatus.CLOSED else None,
            published=published,
            how=how_to_vote(round_, community.default_language),
            closes=spoken(round_.closes_at, community.timezone),
            pence=format_pence,
            typed=typed,
            lookup=lookup,
            titles={o.number: o.title for o in round_.options},
            tie_breaking=TIE_BREAKING,
        )


@bp.get("/c/<slug>/rounds/<int:number>/result")
def result_certificate(slug: str, number: int):
    """A closed round's results certificate, to print (A4) and keep: rule, tie-break order,
    ballots by channel and on paper, turnout, votes and costs, winners, the ballot file's hash."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        round_ = _public_round(session, community, number)
        if round_.status != RoundStatus.CLOSED:
            abort(404)  # nothing of the tally is public before the close
        return render_template(
            "public/certificate.html",
            community=community,
            round=round_,
            c=certificate(session, round_),
            opened=spoken(round_.opened_at or round_.opens_at, community.timezone),
            closed=spoken(round_.closed_at or round_.closes_at, community.timezone),
            pence=format_pence,
        )


@bp.get("/c/<slug>/rounds/<int:number>/ballots.pb")
def ballot_file(slug: str, number: int):
    """The closed round's anonymous ballots, exactly as published (their SHA-256 is on the page)."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        round_ = _public_round(session, community, number)
        text = round_.ballot_file if round_.status == RoundStatus.CLOSED else None
        if text is None:
            abort(404)  # open (nothing is public before the count), or closed before files were kept
        filename = f"{community.slug}-round-{round_.number}.pb"
    return Response(
        text.encode("utf-8"),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/c/<slug>/rounds/<int:number>.json")
def round_data(slug: str, number: int):
    """The round as data. While it is open: its options and times, and no votes, ballots or
    turnout (organisers see those, signed in); once closed: the result and the file's hash."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        round_ = _public_round(session, community, number)
        closed = round_.status == RoundStatus.CLOSED
        outcome = round_.outcome or {}
        winners = set(outcome.get("winners") or ())
        tallies = outcome.get("tallies") or {}
        data = {
            "community": community.slug,
            "number": round_.number,
            "title": round_.title,
            "status": round_.status,
            "method": round_.method,
            "rule": round_.rule,
            "budget_pence": round_.budget_pence,
            "closes_at": round_.closes_at.isoformat(),
            "options": [
                {"number": o.number, "title": o.title, "cost_pence": o.cost_pence}
                | ({"votes": tallies.get(str(o.number), 0), "funded": o.number in winners} if closed else {})
                for o in round_.options
            ],
        }
        if closed:
            data |= {
                "ballots": outcome.get("ballots", 0),
                "winners": sorted(winners),
                "allocated_pence": outcome.get("allocated_pence", 0),
                "tie_breaking": outcome.get("tie_breaking"),
                "ballot_file_sha256": round_.ballot_file_sha256,
                "ballot_file": url_for("public.ballot_file", slug=slug, number=number, _external=True)
                if round_.ballot_file_sha256
                else None,
            }
        return jsonify(data)


@bp.get("/c/<slug>/360giving.json")
def grants_json(slug: str):
    """The community's grants as 360Giving open data, a data package GrantNav can take."""
    return _grants(slug, "json")


@bp.get("/c/<slug>/360giving.csv")
def grants_csv(slug: str):
    """The same grants as one 360Giving spreadsheet sheet, a row each."""
    return _grants(slug, "csv")


def _grants(slug: str, fmt: str):
    """The grant data in `fmt`, or a page saying the community publishes none yet (404)."""
    with get_db().transaction() as session:
        community = _community(session, slug)
        try:
            package = grant_data.published(session, community).package
        except grant_data.NotPublished:
            page = render_template(
                "public/no_grant_data.html", community=community, publishes=grant_data.publishes(community)
            )
            return page, 404
    if fmt == "json":
        return Response(to_json(package) + "\n", mimetype="application/json")
    return Response(
        grant_data.as_csv(package),
        mimetype="text/csv",
        headers={"Content-Disposition": f'inline; filename="{community.slug}-360giving.csv"'},
    )


def _result(session, round_, community: Community) -> dict:
    """A closed round as residents read its result: winners with their cost, and turnout."""
    shown = round_json(session, round_, community)
    winners = set((round_.outcome or {}).get("winners") or ())
    return {
        "number": round_.number,
        "sha256": round_.ballot_file_sha256,
        "title": shown["title"],
        "closed": spoken(round_.closed_at, community.timezone),
        "ballots": shown["ballots"],
        "winners": [o for o in shown["options"] if o["number"] in winners],
        "allocated": format_pence((round_.outcome or {}).get("allocated_pence", 0)),
    }


def _progress(project: ProjectView, community: Community) -> dict:
    """A project's status in the community's language, and its latest news with its date."""
    language = community.default_language
    status = render(f"project_status_{project.status.value}", language)
    news = project.latest_news
    return {
        "status": status[:1].upper() + status[1:],
        "news": news.text if news else None,
        "date": Moment(news.created_at, community.timezone, with_time=False).in_language(language)
        if news
        else None,
    }


def _whatsapp(community: Community) -> dict | None:
    """The community's own WhatsApp number and its chat link; None when it has none (WhatsApp
    then comes to the SMS number, which the page already gives)."""
    if not community.whatsapp_number:
        return None
    return {
        "number": national(community.whatsapp_number),
        "link": f"https://wa.me/{community.whatsapp_number.lstrip('+')}",
    }


def _telegram(community: Community) -> dict | None:
    """The bot's start link with the join code; only when the bot's username is configured."""
    username = (current_app.config.get("TELEGRAM_BOT_USERNAME") or "").strip().lstrip("@")
    if not username:
        return None
    return {
        "username": username,
        "link": f"https://t.me/{quote(username, safe='')}?start={quote(community.join_code)}",
    }
