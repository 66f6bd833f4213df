"""Rounds page: schedule a round of shortlisted ideas, move its times, open, remind, close or
cancel it; its live turnout while open, and paper ballots added to it; when closed, its
outcome, a recount and the files auditors get. Every step goes through bot.domain.rounds exactly
as `commonpurse round ...` does, and times are typed and shown in the community's timezone."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Literal, overload

from flask import Response, abort, current_app, g, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from bot.context import now
from bot.domain import ledger
from bot.domain import paper_ballots as paper
from bot.domain.ideas import ideas_of
from bot.domain.notify import channel_split, member_count
from bot.domain.pabulib import export_pb
from bot.domain.quiet_hours import describe, held, quiet_until
from bot.domain.rounds import (
    cancel_round,
    close_round,
    create_round,
    get_round,
    open_round,
    recount,
    remind,
    reschedule_round,
    rounds_of,
)
from bot.domain.send_time import SendTime, caps, send_time
from bot.domain.serialise import round_json
from bot.errors import InvalidInput, NotFound
from bot.text.json_text import to_json
from bot.text.money import format_pence
from bot.text.round_messages import ballot, how_to_vote, in_order
from bot.text.times import local as in_zone
from bot.text.times import parse_local
from bot.web.dashboard import blueprint
from bot.web.dashboard.auth import community_of, redirect_back, signed_in
from bot.web.dashboard.filters import local, percent, plural
from bot.web.dashboard.forms import (
    Failure,
    Form,
    amount_in,
    attempt,
    fields,
    number_in,
    submit,
    text_in,
    whole_number,
)
from channels.segments import count_segments
from models import ROUND_METHODS, ROUND_RULES, Community, Round
from models.states import IdeaStatus, RoundStatus

bp = blueprint("rounds", __name__)

TIMES = ("opens", "closes", "remind")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
POLL_SECONDS = 5  # how often the round's page asks for the turnout while it is open

# Each form's fields, and the round services' names for them.
_AT = {"opens_at": "opens", "closes_at": "closes", "remind_at": "remind"}
CREATE = fields(
    "title",
    "method",
    "rule",
    "ideas",
    *TIMES,
    "budget",
    "max_choices",
    idea_numbers="ideas",
    budget_pence="budget",
    **_AT,
)
RESCHEDULE = fields(*TIMES, **_AT)
PAPER = fields("paper_id", "choices")


# The list and the create form.


@bp.get("/<slug>/rounds")
@signed_in
def rounds(slug: str) -> ResponseReturnValue:
    """Every round, newest first, and the form that schedules a new one."""
    return _list(community_of(slug))


@bp.post("/<slug>/rounds")
@signed_in
def rounds_create(slug: str) -> ResponseReturnValue:
    """Schedule a round of shortlisted ideas (as `round create`), numbered on the ballot in the
    order the form lists them (by idea number)."""
    place, form = community_of(slug), request.form

    def act() -> tuple[int, str]:
        tz = place.timezone
        round_ = create_round(
            g.db_session,
            place,
            title=text_in(form, "title"),
            method=form.get("method", ""),
            rule=form.get("rule") or "greedy",
            idea_numbers=sorted(whole_number(n, "ideas") for n in form.getlist("ideas")),
            opens_at=_time(form, "opens", tz),
            closes_at=_time(form, "closes", tz),
            remind_at=_time(form, "remind", tz, required=False),
            budget_pence=amount_in(form, "budget", required=False),
            max_choices=number_in(form, "max_choices"),
            now=now(),
        )
        return round_.number, (
            f"Round {round_.number} scheduled: {round_.title}, "
            f"{plural(len(round_.options), 'option')}, {format_pence(round_.budget_pence)} to allocate."
        )

    done = attempt("create", act, field="title", shown=CREATE, missing="ideas")
    if isinstance(done, Failure):
        return _list(place, done)
    number, message = done
    return redirect_back("rounds.rounds_show", message, slug=place.slug, number=number)


# One round.


@bp.get("/<slug>/rounds/<int:number>")
@signed_in
def rounds_show(slug: str, number: int) -> ResponseReturnValue:
    """A round's details and the steps it can take next; its turnout or its outcome."""
    place = community_of(slug)
    return _detail(place, _round(place, number))


@bp.post("/<slug>/rounds/<int:number>/reschedule")
@signed_in
def rounds_reschedule(slug: str, number: int) -> ResponseReturnValue:
    """Move a round's times (as `round reschedule`): only the times changed on the form."""
    place, form = community_of(slug), request.form
    round_ = _round(place, number)

    def act() -> str:
        tz = place.timezone
        moved = {name: _changed(form, name, _at(round_, name), tz) for name in TIMES}
        if not any(moved.values()):
            return f"Round {number}: no time was changed."
        reschedule_round(
            g.db_session,
            round_,
            now(),
            opens_at=moved["opens"],
            closes_at=moved["closes"],
            remind_at=moved["remind"],
        )
        return f"Round {number} rescheduled."

    # Unnamed: what the round's state refuses, shown at the top of the form.
    return _submit(place, round_, "reschedule", act, field="form", shown=RESCHEDULE)


def _reminded(sent: int | None, number: int) -> str:
    if sent is None:  # asked again, nothing is sent: not an error, as from the CLI
        return f"Reminders for round {number} were already sent: nothing sent again."
    return f"Reminders queued for {plural(sent, 'member')} of round {number} who had not voted."


# What each button does, and what it says afterwards (the CLI's words).
STEPS = {
    "open": (
        open_round,
        lambda opened, n: (
            f"Round {n} is open; members have been sent the ballot."
            if opened
            else f"Round {n} was already open: nothing sent again."
        ),
    ),
    "remind": (remind, _reminded),
    "close": (
        close_round,
        lambda closed, n: (
            f"Round {n} is closed; results sent and winners funded."
            if closed
            else f"Round {n} was already closed: nothing changed."
        ),
    ),
    "cancel": (cancel_round, lambda _none, n: f"Round {n} is cancelled."),
}


# The steps that cannot be undone, and the round's status in which each does something (in any
# other, the step runs at once: it is refused, or says nothing was done again).
ASK_FIRST = {
    "open": (RoundStatus.SCHEDULED,),
    "close": (RoundStatus.OPEN,),
    "cancel": (RoundStatus.DRAFT, RoundStatus.SCHEDULED, RoundStatus.OPEN),
}


@bp.post("/<slug>/rounds/<int:number>/<any(open, remind, close, cancel):step>")
@signed_in
def rounds_step(slug: str, number: int, step: str) -> ResponseReturnValue:
    """Open now, send the reminder, close now or cancel (as `round open|remind|close|cancel`).
    Opening, closing and cancelling ask once more, saying what will be sent to whom, counted
    as the organiser confirms (the page's own figures may be minutes old)."""
    place = community_of(slug)
    round_ = _round(place, number)
    if round_.status in ASK_FIRST.get(step, ()) and request.form.get("confirmed") != "yes":
        data = round_json(g.db_session, round_, place)
        return render_template(
            "dashboard/rounds_confirm.html",
            community=place,
            round=round_,
            data=data,
            step=step,
            members=member_count(g.db_session, place),
            takes=_opening_time(place, round_) if step == "open" else None,
            was_open=round_.status == RoundStatus.OPEN,
            goes_at=_goes_at(place, round_, step),
            quiet=describe(place),
        )
    action, said = STEPS[step]

    def act() -> str:
        done = said(action(g.db_session, round_, now()), number)
        goes_at = quiet_until(place, now())
        if goes_at is not None and step in ("open", "remind", "close", "cancel"):
            g.db_session.flush()
            if held(g.db_session, place, _keys(round_), now()):
                done += f" Quiet hours: the messages go out at {local(goes_at, place.timezone)}."
        return done

    return _submit(place, round_, "step", act, field="step")


def _opening_time(place: Community, round_: Round) -> SendTime | None:
    """How long the ballot takes to reach every member at the providers' caps (its SMS
    segments as the community's first language has them)."""
    text, _ = ballot(round_, place, place.default_language)
    split = channel_split(g.db_session, place, now())
    return send_time(split, count_segments(text).segments, caps(current_app.config))


def _goes_at(place: Community, round_: Round, step: str) -> datetime | None:
    """When what `step` sends goes out, if quiet hours hold it (a ballot that would wait past
    the close goes at once: bot.domain.rounds)."""
    goes_at = quiet_until(place, now())
    if step == "open" and goes_at is not None and goes_at >= round_.closes_at:
        return None
    return goes_at


def _keys(round_: Round) -> list[str]:
    """The beginnings of the idempotency keys of what a round sends (bot.domain.rounds)."""
    kinds = ("round-open", "round-remind", "round-result", "round-cancel", "idea-outcome")
    return [f"{kind}:{round_.id}:" for kind in kinds]


@bp.post("/<slug>/rounds/<int:number>/recount")
@signed_in
def rounds_recount(slug: str, number: int) -> ResponseReturnValue:
    """Count a closed round again from its ballots and say whether it matches what was published."""
    place = community_of(slug)
    round_ = _round(place, number)

    def act() -> str:
        same, again = recount(g.db_session, round_)
        by_message, on_paper = paper.ballot_counts(g.db_session, round_)
        split = f" ({by_message} by message, {on_paper} on paper)" if on_paper else ""
        if same:
            return (
                f"Round {number} recounted from {plural(again['ballots'], 'ballot')}{split}: the same "
                f"winners as published ({_numbers(again['winners'])})."
            )
        assert round_.outcome is not None  # recount refuses a round that is not closed
        return (
            f"Round {number} recount DIFFERS: published {_numbers(round_.outcome['winners'])}, "
            f"recount {_numbers(again['winners'])}."
        )

    return _submit(place, round_, "step", act, field="step")


@bp.post("/<slug>/rounds/<int:number>/ballots")
@signed_in
def rounds_paper_ballot(slug: str, number: int) -> ResponseReturnValue:
    """Add one paper ballot (as `round ballots add`)."""
    place, form = community_of(slug), request.form
    round_ = _round(place, number)

    def act() -> str:
        choices = paper.choices_of(text_in(form, "choices"))
        ballot = paper.add_paper_ballot(g.db_session, round_, text_in(form, "paper_id"), choices, now())
        return f"Paper ballot {paper.describe(ballot)} added to round {number}; receipt {ballot.receipt}."

    # Unnamed: a round that is not open, shown at the top of the form.
    return _submit(place, round_, "paper", act, field="form", shown=PAPER)


@bp.post("/<slug>/rounds/<int:number>/ballots/import")
@signed_in
def rounds_paper_import(slug: str, number: int) -> ResponseReturnValue:
    """Check a CSV of paper ballots, or add them all (as `round ballots import [--dry-run]`):
    a check, or any bad row, shows every row that would be added and every bad one."""
    place = community_of(slug)
    round_ = _round(place, number)
    dry_run = request.form.get("action") != "import"

    def act() -> paper.Checked | str:
        text = _uploaded()
        checked = paper.check_csv(g.db_session, round_, text)
        if dry_run or checked.problems:
            return checked
        added = paper.import_csv(g.db_session, round_, text, now())
        receipts = "; ".join(paper.receipted(b) for b in added)
        return f"{plural(len(added), 'paper ballot')} added to round {number}. Receipts: {receipts}."

    done = attempt("import", act, field="csv")
    if isinstance(done, Failure):
        return _detail(place, round_, done)
    if isinstance(done, str):
        return redirect_back("rounds.rounds_show", done, slug=place.slug, number=number)
    return _detail(place, round_, checked=done, dry_run=dry_run)


def _uploaded() -> str:
    """The uploaded CSV's text (UTF-8, with or without a byte order mark)."""
    upload = request.files.get("csv")
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file with the columns paper_id,choices", field="csv")
    try:
        text = upload.stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{upload.filename!r} is not UTF-8 text", field="csv") from None
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        raise InvalidInput(f"{upload.filename!r} contains NUL characters", field="csv")
    return text


@bp.get("/<slug>/rounds/<int:number>/turnout")
@signed_in
def rounds_turnout(slug: str, number: int) -> ResponseReturnValue:
    """Ballots, members and votes per option now, for the round page's live figures."""
    place = community_of(slug)
    data = round_json(g.db_session, _round(place, number), place)
    response = jsonify(
        status=data["status"],
        ballots=data["ballots"],
        members=data["members"],
        percent=_turnout(data),
        tallies={str(o["number"]): o["votes"] for o in data["options"]},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<slug>/rounds/<int:number>/papers")
@signed_in
def rounds_papers(slug: str, number: int) -> ResponseReturnValue:
    """Paper ballots to print: one sheet per rotation of the round's order, as members on the
    phone see them (position effects are real on paper too), or one in number order."""
    place = community_of(slug)
    round_ = _round(place, number)
    orders = (
        [in_order(round_, rotation) for rotation in range(len(round_.options))]
        if round_.ballot_order_seed
        else [in_order(round_)]
    )
    return render_template(
        "dashboard/rounds_papers.html",
        community=place,
        round=round_,
        orders=orders,
        how=how_to_vote(round_, place.default_language),
    )


@bp.get("/<slug>/rounds/<int:number>/export.<any(pb, json):fmt>")
@signed_in
def rounds_export(slug: str, number: int, fmt: str) -> ResponseReturnValue:
    """The round for auditors, as `round export` writes it: pabulib .pb or JSON."""
    place = community_of(slug)
    round_ = _round(place, number)
    if fmt == "pb":
        text, mimetype = export_pb(g.db_session, round_, place), "text/plain"
    else:
        text, mimetype = to_json(round_json(g.db_session, round_, place)), "application/json"
    filename = f"{place.slug}-round-{number}.{fmt}"
    return Response(
        text, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# Reading the forms.


@overload
def _time(form: Form, name: str, tz: str, required: Literal[True] = True) -> datetime: ...
@overload
def _time(form: Form, name: str, tz: str, required: bool) -> datetime | None: ...
def _time(form: Form, name: str, tz: str, required: bool = True) -> datetime | None:
    value = text_in(form, name).strip()
    if not value:
        if required:
            raise InvalidInput(f"give the time the round {name}", field=name)
        return None
    try:
        return parse_local(value, tz)
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field=name) from None


def _changed(form: Form, name: str, current: datetime | None, tz: str) -> datetime | None:
    """The time typed, if it differs from the one the form was shown with (else None: kept).
    Passing an unchanged reminder would arm it again, so only what moved is passed on."""
    value = text_in(form, name).strip()
    if not value or (current is not None and value == _shown(current, tz)):
        return None
    return _time(form, name, tz)


def _at(round_: Round, name: str) -> datetime | None:
    return {"opens": round_.opens_at, "closes": round_.closes_at, "remind": round_.remind_at}[name]


def _shown(value: datetime | None, tz: str) -> str:
    """A time as a datetime-local input holds it, in the community's timezone."""
    return in_zone(value, tz).strftime(LOCAL_INPUT) if value else ""


# Rendering.


def _submit(
    place: Community,
    round_: Round,
    form: str,
    action: Callable[[], str],
    *,
    field: str,
    shown: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    """Run one of the round page's forms: back to the page, or the page again with the refusal."""
    return submit(
        form,
        action,
        again=lambda failure: _detail(place, round_, failure),
        then=url_for("rounds.rounds_show", slug=place.slug, number=round_.number),
        field=field,
        shown=shown,
    )


def _round(place: Community, number: int) -> Round:
    try:
        return get_round(g.db_session, place, number)
    except NotFound:
        abort(404)


def _turnout(data: dict) -> str:
    """Residents' ballots against members (paper voters are not members)."""
    return percent(data["ballots_by_message"] / data["members"]) if data["members"] else percent(0)


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "nothing"


def _list(place: Community, failure: Failure | None = None):
    rows = [(r, round_json(g.db_session, r, place)) for r in rounds_of(g.db_session, place)]
    shortlisted = sorted(ideas_of(g.db_session, place, IdeaStatus.SHORTLISTED), key=lambda i: i.number)
    kept = request.form if failure is not None else MultiDict()
    html = render_template(
        "dashboard/rounds.html",
        community=place,
        rows=rows,
        ideas=shortlisted,
        methods=ROUND_METHODS,
        rules=ROUND_RULES,
        failure=failure,
        kept=kept,
        ticked=set(kept.getlist("ideas")),
        remaining=ledger.summary(g.db_session, place).remaining,
    )
    return html, 422 if failure is not None else 200


def _detail(
    place: Community,
    round_: Round,
    failure: Failure | None = None,
    checked: paper.Checked | None = None,
    dry_run: bool = True,
):
    """The round's page; 422 with a failure, or with a CSV that has bad rows (listed)."""
    data = round_json(g.db_session, round_, place)
    tz = place.timezone
    typed = request.form if failure is not None and failure.form == "reschedule" else {}
    times = {name: typed.get(name, _shown(_at(round_, name), tz)) for name in TIMES}
    html = render_template(
        "dashboard/rounds_show.html",
        community=place,
        round=round_,
        data=data,
        failure=failure,
        times=times,
        turnout=_turnout(data),
        members=member_count(g.db_session, place),
        held=held(g.db_session, place, _keys(round_), now()),
        winners=set((data["outcome"] or {}).get("winners", [])),
        poll_seconds=POLL_SECONDS,
        split=paper.ballot_counts(g.db_session, round_),
        checked=checked,
        dry_run=dry_run,
        typed=request.form if failure is not None and failure.form == "paper" else {},
    )
    bad = failure is not None or (checked is not None and checked.problems)
    return html, 422 if bad else 200
