"""Money page: the ledger (allocations, spending, corrections) and budget updates to members.

Every change goes through bot.domain.ledger exactly as `commonpurse budget ...` does; a budget
update sent to members is counted in SMS segments first and confirmed on a second page."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from werkzeug.datastructures import MultiDict

from bot.context import now
from bot.domain import ledger
from bot.domain.notify import member_count
from bot.domain.serialise import budget_json
from bot.errors import InvalidInput, NotFound
from bot.text.catalogue import PLACEHOLDER_MAX, entry_for, render
from bot.text.money import MAX_PENCE, format_pence, parse_amount
from bot.text.organiser_text import plain, sms_cost
from bot.web.dashboard import bp, page
from bot.web.dashboard.auth import community_of, redirect_back, signed_in
from channels.segments import count_segments
from models import Community

page(30, "dashboard.money", "Money")

MAX_NUMBER = 2**63 - 1  # as the CLI: the largest number a database row can have
MAX_TEXT = 5000  # as the API: more than any column we write from a form holds
OVERSPEND_HINT = "; tick \u201cRecord it even though it goes beyond what is left\u201d to record it anyway"
_MARK = "\u0001"  # stands for the update in the message members get (for the live counter)


class Refused(InvalidInput):
    """Bad input in one field of a form: shown beside that field, with what was typed kept."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Failure:
    form: str  # which form on the page ("allocate", "spend" ...)
    field: str
    message: str


# Values typed into a form, read as the CLI reads its options (same one-line messages).


def text_in(form: MultiDict, name: str) -> str:
    value = form.get(name, "")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise Refused(name, f"{name} must not contain NUL characters")
    if len(value) > MAX_TEXT:
        raise Refused(name, f"{name} is longer than {MAX_TEXT} characters")
    return value


def amount_in(form: MultiDict, name: str, required: bool = True) -> int | None:
    value = form.get(name, "").strip()
    if not value and not required:
        return None
    pence = parse_amount(value)
    if pence is None:
        raise Refused(
            name,
            f"{value!r} is not an amount of money from 1p to "
            f"{format_pence(MAX_PENCE)} (try 2500, £2,500 or £2.5k)",
        )
    return pence


def number_in(form: MultiDict, name: str, required: bool = False) -> int | None:
    value = form.get(name, "").strip()
    if not value and not required:
        return None
    return whole_number(value, name)


def whole_number(value: str, field: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise Refused(field, f"{value!r} is not a whole number")
    digits = value.lstrip("0") or "0"  # compared as digits: int() refuses more than 4,300
    if len(digits) > len(str(MAX_NUMBER)) or not 1 <= int(digits) <= MAX_NUMBER:
        raise Refused(field, f"{value} is not a number from 1 to {MAX_NUMBER}")
    return int(digits)


def day_in(form: MultiDict, name: str, today: date) -> date:
    value = form.get(name, "").strip()
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refused(name, f"{value!r} is not a date like 2026-11-26") from None


def attempt(form: str, field_for, action):
    """Run `action()` in a savepoint: (result, None), or (None, Failure) with nothing kept."""
    try:
        with g.db_session.begin_nested():
            return action(), None
    except (InvalidInput, NotFound) as exc:
        field = exc.field if isinstance(exc, Refused) else field_for(exc)
        return None, Failure(form, field, str(exc))


# The page.


@bp.get("/<slug>/money")
@signed_in
def money(slug: str):
    """Totals, allocations, spending and corrections, with the forms that add to them."""
    return _page(community_of(slug))


@bp.post("/<slug>/money/allocate")
@signed_in
def money_allocate(slug: str):
    """Commit money to a project (as `budget allocate`)."""
    place, form = community_of(slug), request.form

    def act():
        amount = amount_in(form, "amount")
        allocation = ledger.allocate(
            g.db_session,
            place,
            title=text_in(form, "title"),
            amount_pence=amount,
            idea_number=number_in(form, "idea"),
            now=now(),
        )
        left = ledger.summary(g.db_session, place).remaining
        return (
            f"Allocation {allocation.number}: {format_pence(amount)} to {allocation.title}. "
            f"Still to decide: {format_pence(left)}."
        )

    def field_for(exc):
        if isinstance(exc, NotFound):
            return "idea"
        return "title" if "title" in str(exc) else "amount"

    return _done(place, "allocate", *attempt("allocate", field_for, act))


@bp.post("/<slug>/money/spend")
@signed_in
def money_spend(slug: str):
    """Record money paid out (as `budget spend`); beyond what is left only when ticked."""
    place, form = community_of(slug), request.form

    def act():
        amount = amount_in(form, "amount")
        try:
            entry = ledger.spend(
                g.db_session,
                place,
                description=text_in(form, "description"),
                amount_pence=amount,
                allocation_number=number_in(form, "allocation"),
                over_allocation=form.get("over_allocation") == "yes",
                spent_on=day_in(form, "spent_on", _today(place)),
                now=now(),
            )
        except ledger.Overspend as exc:
            raise Refused("over_allocation", f"{exc}{OVERSPEND_HINT}") from None
        note = " Recorded over allocation, as you said." if entry.over_allocation else ""
        return f"Spending {entry.number}: {format_pence(amount)} for {entry.description}.{note}"

    def field_for(exc):
        if isinstance(exc, NotFound) or "allocation" in str(exc):
            return "allocation"
        if "give a date" in str(exc):
            return "spent_on"
        return "description" if "description" in str(exc) else "amount"

    return _done(place, "spend", *attempt("spend", field_for, act))


@bp.post("/<slug>/money/void")
@signed_in
def money_void(slug: str):
    """Void a spending or an allocation with a correcting entry (as `budget void`)."""
    place, form = community_of(slug), request.form

    def act():
        kind, number = _entry(form)
        reason, organiser = text_in(form, "reason"), g.organiser.email
        if kind == "spending":
            correction = ledger.void_spending(
                g.db_session, place, number, reason=reason, organiser=organiser, now=now()
            )
        else:
            correction = ledger.void_allocation(
                g.db_session, place, number, reason=reason, organiser=organiser, now=now()
            )
        totals = ledger.summary(g.db_session, place)
        return (
            f"{kind.title()} {number} is void (correction {correction.number}: "
            f"{correction.reason}). Spent: {format_pence(totals.spent)}. "
            f"Still to decide: {format_pence(totals.remaining)}."
        )

    def field_for(exc):
        return "reason" if "reason" in str(exc) else "entry"

    return _done(place, "void", *attempt("void", field_for, act))


@bp.post("/<slug>/money/close")
@signed_in
def money_close(slug: str):
    """Close an allocation: it keeps what was spent, the rest goes back (as `budget close`)."""
    place, form = community_of(slug), request.form

    def act():
        number = number_in(form, "allocation", required=True)
        correction = ledger.close_allocation(
            g.db_session,
            place,
            number,
            reason=text_in(form, "reason") or None,
            organiser=g.organiser.email,
            now=now(),
        )
        state = ledger.allocation_state(
            g.db_session, ledger.allocation_by_number(g.db_session, place, number)
        )
        back = max(state.allocation.amount_pence - state.spent, 0)
        left = ledger.summary(g.db_session, place).remaining
        return (
            f"Allocation {number} closed (correction {correction.number}): "
            f"{format_pence(state.spent)} spent of {format_pence(state.allocation.amount_pence)}; "
            f"{format_pence(back)} back to decide. Still to decide: {format_pence(left)}."
        )

    def field_for(exc):
        return "reason" if "reason" in str(exc) else "allocation"

    return _done(place, "close", *attempt("close", field_for, act))


@bp.post("/<slug>/money/update")
@signed_in
def money_update(slug: str):
    """Post a budget update (as `budget update`); preview its SMS cost; confirm a broadcast first."""
    place, form = community_of(slug), request.form
    step = form.get("step")
    step = step if step in ("preview", "edit", "send") else "post"
    broadcast = form.get("broadcast") == "yes"
    checked, failure = attempt("update", lambda exc: "text", lambda: _as_posted(place, form))
    if failure is not None:
        return _page(place, failure=failure, kept={"update": form})
    if step in ("preview", "edit"):
        preview = _preview(place, checked) if step == "preview" else None
        return _page(place, kept={"update": form}, preview=preview)
    if broadcast and step != "send":
        return render_template(
            "dashboard/money_confirm.html",
            community=place,
            text=checked,
            cost=_cost(place, checked),
            latest=_latest_id(place),
        )
    if step == "send" and _already_posted(place, checked, form.get("latest", "")):
        return redirect_back(
            "dashboard.money", "That update was already posted; nothing more was sent.", slug=place.slug
        )

    def act():
        posted = ledger.post_update(g.db_session, place, checked, now())
        if not broadcast:
            return "Budget update posted."
        sent = ledger.broadcast_update(g.db_session, place, posted, now())
        return f"Budget update posted. Sent to {sent} member{'' if sent == 1 else 's'}."

    return _done(place, "update", *attempt("update", lambda exc: "text", act))


def _as_posted(place: Community, form: MultiDict) -> str:
    """The update as post_update would store it (typographic quotes plain, as the CLI makes
    them), or the service's refusal; nothing is stored here."""
    savepoint = g.db_session.begin_nested()
    try:
        return ledger.post_update(g.db_session, place, plain(text_in(form, "text")), now()).text
    finally:
        savepoint.rollback()


def _cost(place: Community, text: str):
    """What one member gets for `text`, and what sending it to every member costs."""
    return sms_cost(
        "budget_news",
        member_count(g.db_session, place),
        place.default_language,
        own="update",
        update=text,
        community=place.name,
    )


def _preview(place: Community, text: str) -> dict:
    return {"text": count_segments(text), "characters": len(text), "cost": _cost(place, text)}


def _already_posted(place: Community, text: str, latest_seen: str) -> bool:
    """Confirm pressed twice (or again after going back): this text was posted since the
    confirmation page was shown."""
    latest = ledger.summary(g.db_session, place).latest_update
    return latest is not None and str(latest.id) != latest_seen and latest.text == text


def _latest_id(place: Community) -> str:
    latest = ledger.summary(g.db_session, place).latest_update
    return str(latest.id) if latest is not None else ""


def _entry(form: MultiDict) -> tuple[str, int]:
    """("spending", 3) from the void form's choice "spending:3"."""
    kind, _, number = form.get("entry", "").partition(":")
    if kind not in ("spending", "allocation"):
        raise Refused("entry", "choose the spending or allocation to void")
    return kind, whole_number(number, "entry")


def _done(place: Community, form: str, message: str | None, failure: Failure | None):
    if failure is not None:
        return _page(place, failure=failure, kept={form: request.form})
    return redirect_back("dashboard.money", message, slug=place.slug)


def _today(place: Community) -> date:
    return now().astimezone(ZoneInfo(place.timezone)).date()


def _page(
    place: Community, *, failure: Failure | None = None, kept: dict | None = None, preview: dict | None = None
):
    view = budget_json(g.db_session, place)
    for entry in view["spending"]:
        entry["day"] = date.fromisoformat(entry["spent_on"])
    for correction in view["corrections"]:
        correction["at"] = datetime.fromisoformat(correction["created_at"])
    before, _, after = render(
        "budget_news", place.default_language, update=_MARK, community=place.name
    ).partition(_MARK)
    counter = {
        "before": before,
        "after": after,
        "max_chars": PLACEHOLDER_MAX["update"],
        "max_segments": entry_for("budget_news").segments,
    }
    html = render_template(
        "dashboard/money.html",
        community=place,
        view=view,
        failure=failure,
        kept=kept or {},
        preview=preview,
        members=member_count(g.db_session, place),
        today=_today(place),
        counter=counter,
    )
    return html, 422 if failure is not None else 200
