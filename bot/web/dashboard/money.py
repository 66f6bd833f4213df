"""Money page: the ledger (allocations, spending, corrections) and budget updates to members.

Every change goes through bot.domain.ledger exactly as `commonpurse budget ...` does; a budget
update sent to members is counted in SMS segments first and confirmed on a second page."""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.context import now
from bot.domain import ledger
from bot.domain.notify import member_count
from bot.domain.quiet_hours import describe, quiet_until
from bot.domain.segments import Segment
from bot.domain.send_time import caps, send_time
from bot.domain.serialise import budget_json
from bot.errors import InvalidInput
from bot.text.catalogue import PLACEHOLDER_MAX, entry_for, render
from bot.text.money import format_pence
from bot.text.organiser_text import SmsCost, plain
from bot.web.dashboard import blueprint
from bot.web.dashboard.audience import criteria_in, segment_in
from bot.web.dashboard.auth import community_of, redirect_back, signed_in
from bot.web.dashboard.filters import local
from bot.web.dashboard.forms import (
    Failure,
    Form,
    amount_in,
    attempt,
    day_in,
    fields,
    number_in,
    submit,
    text_in,
    whole_number,
)
from channels.registry import CHANNELS
from channels.segments import count_segments
from models import Community

bp = blueprint("money", __name__)

OVERSPEND_HINT = "; tick \u201cRecord it even though it goes beyond what is left\u201d to record it anyway"
_MARK = "\u0001"  # stands for the update in the message members get (for the live counter)


class UpdateStep(StrEnum):
    """The budget update's buttons: post it, preview its cost, or, on the confirmation page
    of a broadcast, send it or go back and edit it."""

    POST = "post"
    PREVIEW = "preview"
    SEND = "send"
    EDIT = "edit"


# Each form's fields, and the ledger's names for them.
ALLOCATE = fields("title", "amount", "idea", amount_pence="amount", idea_number="idea")
SPEND = fields(
    "description",
    "amount",
    "allocation",
    "spent_on",
    "over_allocation",
    amount_pence="amount",
    allocation_number="allocation",
)
VOID = fields("entry", "reason", number="entry")
CLOSE = fields("allocation", "reason", number="allocation")


# The page.


@bp.get("/<slug>/money")
@signed_in
def money(slug: str) -> ResponseReturnValue:
    """Totals, allocations, spending and corrections, with the forms that add to them."""
    return _page(community_of(slug))


@bp.post("/<slug>/money/allocate")
@signed_in
def money_allocate(slug: str) -> ResponseReturnValue:
    """Commit money to a project (as `budget allocate`)."""
    place, form = community_of(slug), request.form

    def act() -> str:
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

    # The title is the one field the ledger's refusals leave unnamed (its checks of a line of
    # text serve the spending's description too).
    return _submit(place, "allocate", act, field="title", shown=ALLOCATE, missing="idea")


@bp.post("/<slug>/money/spend")
@signed_in
def money_spend(slug: str) -> ResponseReturnValue:
    """Record money paid out (as `budget spend`); beyond what is left only when ticked."""
    place, form = community_of(slug), request.form

    def act() -> str:
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
            raise InvalidInput(f"{exc}{OVERSPEND_HINT}", field="over_allocation") from None
        note = " Recorded over allocation, as you said." if entry.over_allocation else ""
        return f"Spending {entry.number}: {format_pence(amount)} for {entry.description}.{note}"

    # Unnamed, as the allocation's title: the description.
    return _submit(place, "spend", act, field="description", shown=SPEND, missing="allocation")


@bp.post("/<slug>/money/void")
@signed_in
def money_void(slug: str) -> ResponseReturnValue:
    """Void a spending or an allocation with a correcting entry (as `budget void`)."""
    place, form = community_of(slug), request.form

    def act() -> str:
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

    # Unnamed: a control character in the reason (refused where any organiser's text is).
    return _submit(place, "void", act, field="reason", shown=VOID, missing="entry")


@bp.post("/<slug>/money/close")
@signed_in
def money_close(slug: str) -> ResponseReturnValue:
    """Close an allocation: it keeps what was spent, the rest goes back (as `budget close`)."""
    place, form = community_of(slug), request.form

    def act() -> str:
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

    return _submit(place, "close", act, field="reason", shown=CLOSE, missing="allocation")


@bp.post("/<slug>/money/update")
@signed_in
def money_update(slug: str) -> ResponseReturnValue:
    """Post a budget update (as `budget update`); preview its SMS cost; confirm a broadcast first."""
    place, form = community_of(slug), request.form
    step = _step(form)
    broadcast = form.get("broadcast") == "yes"
    checked = attempt("update", lambda: _as_posted(place, form), field="text")
    if isinstance(checked, Failure):
        return _page(place, failure=checked, kept={"update": form})
    to = attempt("update", lambda: segment_in(place, form), field="segment")
    if isinstance(to, Failure):
        return _page(place, failure=to, kept={"update": form})
    if not broadcast and not to.everyone:
        failure = Failure("update", "segment", "choosing who gets it needs “Send it” ticked")
        return _page(place, failure=failure, kept={"update": form})
    if step in (UpdateStep.PREVIEW, UpdateStep.EDIT):
        preview = _preview(place, checked, to) if step == UpdateStep.PREVIEW else None
        return _page(place, kept={"update": form}, preview=preview)
    if broadcast and step != UpdateStep.SEND:
        cost = _cost(place, checked, to)
        return render_template(
            "dashboard/money_confirm.html",
            community=place,
            text=checked,
            cost=cost,
            takes=send_time(dict(cost.by_channel), cost.segments, caps(current_app.config)),
            latest=_latest_id(place),
            to=to,
            criteria=criteria_in(form),
            goes_at=quiet_until(place, now()),
            quiet=describe(place),
        )
    if step == UpdateStep.SEND and _already_posted(place, checked, form.get("latest", "")):
        return redirect_back(
            "money.money", "That update was already posted; nothing more was sent.", slug=place.slug
        )

    def act() -> str:
        posted = ledger.post_update(g.db_session, place, checked, now())
        if not broadcast:
            return "Budget update posted."
        sent = ledger.broadcast_update(g.db_session, place, posted, now(), to)
        goes_at = quiet_until(place, now())
        if goes_at is not None and sent:
            return (
                f"Budget update posted. Queued for {sent} member{'' if sent == 1 else 's'}: quiet hours, "
                f"so it goes out at {local(goes_at, place.timezone)}."
            )
        return f"Budget update posted. Sent to {sent} member{'' if sent == 1 else 's'}."

    return _submit(place, "update", act, field="text")


def _step(form: Form) -> UpdateStep:
    """The update form's button; anything else posts, as the Post button does."""
    try:
        return UpdateStep(form.get("step", ""))
    except ValueError:
        return UpdateStep.POST


def _as_posted(place: Community, form: Form) -> str:
    """The update as post_update would store it (typographic quotes plain, as the CLI makes
    them), or the service's refusal; nothing is stored here."""
    savepoint = g.db_session.begin_nested()
    try:
        return ledger.post_update(g.db_session, place, plain(text_in(form, "text")), now()).text
    finally:
        savepoint.rollback()


def _cost(place: Community, text: str, to: Segment | None = None) -> SmsCost:
    """What one member gets for `text`, and what sending it to every member (of the segment
    `to`) costs (SMS segments, and the WhatsApp messages and templates beside them)."""
    return ledger.broadcast_cost(g.db_session, place, text, now(), to)


def _preview(place: Community, text: str, to: Segment | None = None) -> dict:
    return {"text": count_segments(text), "characters": len(text), "cost": _cost(place, text, to)}


def _already_posted(place: Community, text: str, latest_seen: str) -> bool:
    """Confirm pressed twice (or again after going back): this text was posted since the
    confirmation page was shown."""
    latest = ledger.summary(g.db_session, place).latest_update
    return latest is not None and str(latest.id) != latest_seen and latest.text == text


def _latest_id(place: Community) -> str:
    latest = ledger.summary(g.db_session, place).latest_update
    return str(latest.id) if latest is not None else ""


def _entry(form: Form) -> tuple[str, int]:
    """("spending", 3) from the void form's choice "spending:3"."""
    kind, _, number = form.get("entry", "").partition(":")
    if kind not in ("spending", "allocation"):
        raise InvalidInput("choose the spending or allocation to void", field="entry")
    return kind, whole_number(number, "entry")


def _submit(
    place: Community,
    form: str,
    action: Callable[[], str],
    *,
    field: str,
    shown: Mapping[str, str] | None = None,
    missing: str | None = None,
) -> ResponseReturnValue:
    """Run one of the page's forms: back to the page, or the page again showing the refusal."""
    return submit(
        form,
        action,
        again=lambda failure: _page(place, failure=failure, kept={form: request.form}),
        then=url_for("money.money", slug=place.slug),
        field=field,
        shown=shown,
        missing=missing,
    )


def _today(place: Community) -> date:
    return now().astimezone(ZoneInfo(place.timezone)).date()


def _page(
    place: Community, *, failure: Failure | None = None, kept: dict | None = None, preview: dict | None = None
) -> ResponseReturnValue:
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
        segment_channels=[name for name, s in CHANNELS.items() if s.sends_text],
    )
    return html, 422 if failure is not None else 200
