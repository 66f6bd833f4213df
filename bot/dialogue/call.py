"""The phone line's conversation: a page for each step of a call, and what each key does.

A call is its own small machine beside the text conversation (one transition table,
CALL_STEPS): the language, consent, the menu, the ballot built option by option, its
confirmation, a voice message, goodbye. Each handler returns the next page and step. A
ballot is only the call's selection until the caller presses 1 to confirm: then it is cast
through the same domain code as a text vote, so it replaces (and is replaced by) the caller's
vote by any other channel. Stopping by keypad is STOP."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.domain.ballots import ballot_of, cast, current_round, problem
from bot.domain.ideas import submit_idea
from bot.domain.ledger import summary
from bot.domain.moderation import VOICE_IDEA_TEXT
from bot.domain.residents import (
    admit,
    consent,
    conversation_for,
    language_of,
    opt_in,
    opt_out,
    start_verifying,
)
from bot.text.catalogue import render
from bot.text.money import Money
from bot.text.times import Moment
from channels.calls import CallEvent, CallPage, Spoken
from models import Call, Community, Resident, Round
from models.states import CallStep, ResidentStatus, RoundMethod, Step, Verification

# The key that chooses each language at the start of a call, whichever the community offers.
LANGUAGE_KEYS = {"en": "1", "cy": "2", "pl": "3"}
IDEA_SECONDS = 120  # a voice message is capped at two minutes


@dataclass
class CallTurn:
    session: Session
    community: Community
    resident: Resident
    call: Call
    now: datetime
    channel: str = "voice"  # the channel the call came on, as a ballot records it

    @property
    def language(self) -> str:
        chosen = self.call.data.get("language")
        return chosen if isinstance(chosen, str) else language_of(self.resident, self.community)

    def spoken(self, key: str, **values: object) -> Spoken:
        values.setdefault("community", self.community.name)
        return Spoken(render(key, self.language, **values), self.language)


@dataclass
class Next:
    """A handler's answer: the page to play (numbered by the caller) and the call's next step."""

    page: CallPage
    step: CallStep
    data: dict[str, Any] = field(default_factory=dict)


def start(turn: CallTurn) -> Next:
    """A call has come in: the language first, where the community offers more than one."""
    offered = [code for code in turn.community.languages or ("en",) if code in LANGUAGE_KEYS]
    if len(offered) > 1:
        say = [
            Spoken(render("call_language_offer", code, number=LANGUAGE_KEYS[code]), code) for code in offered
        ]
        return Next(_keys(turn, say), CallStep.LANGUAGE)
    return _after_language(turn, [])


def answer(turn: CallTurn, event: CallEvent) -> Next:
    """The caller's keys (or voice message) on the page they were played last."""
    step = CallStep(turn.call.step)
    return CALL_STEPS[step](turn, event)


def language(turn: CallTurn, event: CallEvent) -> Next:
    """1 English, 2 Cymraeg, 3 Polski: the call goes on in it, and so does what we send."""
    offered = turn.community.languages or ("en",)
    chosen = next((code for code, key in LANGUAGE_KEYS.items() if key == event.digits), None)
    if chosen is None or chosen not in offered:
        return start(turn)
    turn.call.data = {"language": chosen}
    turn.resident.language = chosen
    return _after_language(turn, [])


def _after_language(turn: CallTurn, said: list[Spoken]) -> Next:
    """Consent for a newcomer (or someone who stopped); a member goes straight to the menu."""
    if turn.resident.opted_out:
        return Next(_keys(turn, [*said, turn.spoken("call_rejoin")]), CallStep.CONSENT, turn.call.data)
    if turn.resident.status == ResidentStatus.PENDING:
        said = [*said, turn.spoken("call_welcome"), turn.spoken("call_consent")]
        return Next(_keys(turn, said), CallStep.CONSENT, turn.call.data)
    return menu(turn, said)


def consent_given(turn: CallTurn, event: CallEvent) -> Next:
    """1: joined (consent recorded as a YES by text is); 9: stopped; anything else: asked again."""
    if event.digits == "9" and not turn.resident.opted_out:
        return stop(turn, event)
    if event.digits != "1":
        return _after_language(turn, [turn.spoken("call_not_a_choice")])
    opt_in(turn.session, turn.resident, turn.now, turn.channel)
    said = []
    if turn.resident.status == ResidentStatus.PENDING:
        consent(turn.session, turn.resident, turn.now, turn.channel, turn.language)
        if turn.community.verification == Verification.POSTCODE:
            # A postcode cannot be keyed in: it comes by text, and their next text is read as one.
            start_verifying(turn.resident)
            conversation_for(turn.session, turn.resident, turn.now).step = Step.POSTCODE
            said.append(turn.spoken("call_postcode_by_text"))
        else:
            admit(turn.resident)  # the caller's phone number is known: a phone check is met
            said.append(turn.spoken("call_joined"))
    return menu(turn, said)


def menu(turn: CallTurn, said: list[Spoken]) -> Next:
    """What the caller can do, one key each."""
    round_ = _open_round(turn)
    member = turn.resident.status == ResidentStatus.ACTIVE
    lines = ["call_menu_budget"]
    if round_ is not None:
        lines.append("call_menu_options")
        if member:
            lines.append("call_menu_vote")
    if member:
        lines.append("call_menu_idea")
    lines += ["call_menu_stop", "call_menu_again"]
    page = _keys(turn, [*said, *(turn.spoken(key) for key in lines)])
    return Next(page, CallStep.MENU, _kept(turn))


def chosen_from_menu(turn: CallTurn, event: CallEvent) -> Next:
    """1 budget, 2 options, 3 vote, 4 a voice message, 9 stop, star: the menu again."""
    member = turn.resident.status == ResidentStatus.ACTIVE
    if event.digits == "1":
        return menu(turn, budget(turn))
    if event.digits == "2":
        return menu(turn, options(turn))
    if event.digits in ("3", "4") and turn.resident.status == ResidentStatus.VERIFYING:
        return menu(turn, [turn.spoken("call_postcode_by_text")])
    if event.digits == "3" and member:
        return start_ballot(turn, [])
    if event.digits == "4" and member:
        page = CallPage(0, (turn.spoken("call_idea_prompt"),), record=IDEA_SECONDS)
        return Next(page, CallStep.IDEA, _kept(turn))
    if event.digits == "9":
        return stop(turn, event)
    if event.digits == "*":
        return menu(turn, [])
    return menu(turn, [turn.spoken("call_not_a_choice")])


def budget(turn: CallTurn) -> list[Spoken]:
    """Total, committed, spent and still to decide, and the latest news on the money."""
    money = summary(turn.session, turn.community)
    said = [
        turn.spoken(
            "call_budget",
            total=Money(money.total),
            committed=Money(money.committed),
            spent=Money(money.spent),
            remaining=Money(max(money.remaining, 0)),
        )
    ]
    if money.latest_update is not None:
        date = Moment(money.latest_update.created_at, turn.community.timezone, with_time=False)
        said.append(turn.spoken("call_budget_news", date=date, update=money.latest_update.text))
    return said


def options(turn: CallTurn) -> list[Spoken]:
    """The open round, each option with its cost, and how many may be chosen."""
    round_ = _open_round(turn)
    if round_ is None:
        return [turn.spoken("call_no_round")]
    closes = Moment(round_.closes_at, turn.community.timezone)
    said = [turn.spoken("call_round", title=round_.title, closes=closes)]
    said += [
        turn.spoken("call_option", number=o.number, title=o.title, cost=Money(o.cost_pence))
        for o in sorted(round_.options, key=lambda o: o.number)
    ]
    return [*said, _how_to_choose(turn, round_)]


def _how_to_choose(turn: CallTurn, round_: Round) -> Spoken:
    if round_.method == RoundMethod.CHOOSE_ONE:
        return turn.spoken("call_how_choose_one")
    if round_.method == RoundMethod.BUDGET:
        return turn.spoken("call_how_budget", budget=Money(round_.budget_pence))
    if round_.max_choices:
        return turn.spoken("call_how_approval", k=round_.max_choices)
    return turn.spoken("call_how_approval_any")


def start_ballot(turn: CallTurn, said: list[Spoken]) -> Next:
    """How to key in a ballot; what was chosen so far is forgotten."""
    round_ = _open_round(turn)
    if round_ is None:
        return menu(turn, [*said, turn.spoken("call_no_round")])
    said = [*said, _how_to_choose(turn, round_)]
    if ballot_of(turn.session, round_, turn.resident) is not None:
        said.append(turn.spoken("call_vote_again"))
    return _ballot_page(turn, round_, said, [])


def _ballot_page(turn: CallTurn, round_: Round, said: list[Spoken], chosen: list[int]) -> Next:
    prompt = "call_vote_prompt_one" if round_.method == RoundMethod.CHOOSE_ONE else "call_vote_prompt"
    page = _keys(turn, [*said, turn.spoken(prompt)], digits=None, finish="#", empty=True)
    return Next(page, CallStep.VOTE, {**_kept(turn), "round": round_.id, "chosen": chosen})


def key_in_option(turn: CallTurn, event: CallEvent) -> Next:
    """An option's number and #: chosen (or, chosen already, taken off); # alone: finished."""
    round_ = _ballot_round(turn)
    if round_ is None:
        return menu(turn, [turn.spoken("call_vote_closed")])
    chosen: list[int] = list(turn.call.data.get("chosen", []))
    if event.digits == "":
        if not chosen:
            return menu(turn, [turn.spoken("call_vote_nothing")])
        return _confirm(turn, round_, chosen, [])
    if not (event.digits.isdigit() and len(event.digits) <= 3):
        return _ballot_page(turn, round_, [turn.spoken("call_not_a_choice")], chosen)
    number = int(event.digits)
    titles = {o.number: o.title for o in round_.options}
    if number in chosen:
        chosen.remove(number)
        said = [turn.spoken("call_vote_removed", number=number, title=titles[number])]
        return _ballot_page(turn, round_, [*said, *_running_total(turn, round_, chosen)], chosen)
    wrong = problem(round_, [*chosen, number])
    if wrong is not None:
        return _ballot_page(turn, round_, [_refusal(turn, round_, number, wrong)], chosen)
    chosen.append(number)
    said = [turn.spoken("call_vote_added", number=number, title=titles[number])]
    if round_.method == RoundMethod.CHOOSE_ONE:
        return _confirm(turn, round_, chosen, said)
    return _ballot_page(turn, round_, [*said, *_running_total(turn, round_, chosen)], chosen)


def _refusal(turn: CallTurn, round_: Round, number: int, wrong: tuple[str, dict[str, Any]]) -> Spoken:
    """Why an option cannot be added, as the phone line says it."""
    key, values = wrong
    if key == "vote_unknown_option":
        return turn.spoken("call_vote_unknown", number=number, count=len(round_.options))
    if key == "vote_too_many":
        return turn.spoken("call_vote_too_many", k=values["k"])
    if key == "vote_over_budget":
        return turn.spoken(
            "call_vote_over_budget", number=number, total=values["total"], budget=values["budget"]
        )
    return turn.spoken("call_not_a_choice")  # choose-one takes one: confirmed before a second


def _running_total(turn: CallTurn, round_: Round, chosen: list[int]) -> list[Spoken]:
    """In a budget round, what the options chosen so far cost, against the round's budget."""
    if round_.method != RoundMethod.BUDGET:
        return []
    costs = {o.number: o.cost_pence for o in round_.options}
    total = sum(costs[n] for n in chosen)
    return [turn.spoken("call_vote_total", total=Money(total), budget=Money(round_.budget_pence))]


def _confirm(turn: CallTurn, round_: Round, chosen: list[int], said: list[Spoken]) -> Next:
    """The choices read back, then 1 to confirm, 2 to start again, 0 for the menu."""
    titles = {o.number: o.title for o in round_.options}
    listed = "; ".join(render("call_option_short", turn.language, number=n, title=titles[n]) for n in chosen)
    said = [
        *said,
        turn.spoken("call_confirm", choices=listed),
        *_running_total(turn, round_, chosen),
        turn.spoken("call_confirm_keys"),
    ]
    return Next(_keys(turn, said), CallStep.CONFIRM, {**_kept(turn), "round": round_.id, "chosen": chosen})


def confirmed(turn: CallTurn, event: CallEvent) -> Next:
    """1: the ballot is cast, as a text vote would be; 2: start again; 0: the menu, nothing cast."""
    round_ = _ballot_round(turn)
    if round_ is None:
        return menu(turn, [turn.spoken("call_vote_closed")])
    chosen: list[int] = list(turn.call.data.get("chosen", []))
    if event.digits == "2":
        return start_ballot(turn, [])
    if event.digits == "0":
        return menu(turn, [turn.spoken("call_vote_nothing")])
    if event.digits != "1":
        return _confirm(turn, round_, chosen, [turn.spoken("call_not_a_choice")])
    if problem(round_, chosen) is not None:  # the round changed under the call: choose again
        return start_ballot(turn, [turn.spoken("call_not_a_choice")])
    cast(turn.session, round_, turn.resident, chosen, turn.channel, turn.now)
    closes = Moment(round_.closes_at, turn.community.timezone)
    return menu(turn, [turn.spoken("call_vote_recorded", closes=closes)])


def recorded(turn: CallTurn, event: CallEvent) -> Next:
    """A voice message: an idea, waiting for an organiser to listen and type it up."""
    if event.recording_sid is None:
        return menu(turn, [turn.spoken("call_no_message")])
    idea = submit_idea(turn.session, turn.community, turn.resident, VOICE_IDEA_TEXT, turn.now)
    idea.recording_sid = event.recording_sid
    idea.recording_seconds = event.recording_seconds
    return menu(turn, [turn.spoken("call_idea_saved", number=idea.number)])


def stop(turn: CallTurn, event: CallEvent) -> Next:
    """9: no more messages from us, as STOP by text; what was queued for them is withdrawn."""
    opt_out(turn.session, turn.resident, turn.now, turn.channel)
    return Next(CallPage(0, (turn.spoken("call_stopped"),)), CallStep.ENDED)


def _keys(
    turn: CallTurn, say: list[Spoken], digits: int | None = 1, finish: str | None = None, empty: bool = False
) -> CallPage:
    """A page that waits for keys; a caller who presses none is told so and the call ends."""
    return CallPage(
        0,
        tuple(say),
        keys=True,
        digits=digits,
        finish=finish,
        empty=empty,
        goodbye=(turn.spoken("call_no_keys"),),
    )


def _kept(turn: CallTurn) -> dict[str, Any]:
    """What the call keeps whatever the step: the language chosen at the start."""
    return {"language": turn.call.data["language"]} if "language" in turn.call.data else {}


def _open_round(turn: CallTurn) -> Round | None:
    """The round open to votes now (not one whose close time has passed, uncounted yet)."""
    round_ = current_round(turn.session, turn.community)
    return round_ if round_ is not None and round_.closes_at > turn.now else None


def _ballot_round(turn: CallTurn) -> Round | None:
    """The round this call's ballot is for, while it is still open to votes."""
    round_ = _open_round(turn)
    return round_ if round_ is not None and round_.id == turn.call.data.get("round") else None


def _ignored(turn: CallTurn, event: CallEvent) -> Next:
    """A request about a call that has ended: nothing more is said."""
    return Next(CallPage(0, ()), CallStep.ENDED)


CALL_STEPS: dict[CallStep, Callable[[CallTurn, CallEvent], Next]] = {
    CallStep.LANGUAGE: language,
    CallStep.CONSENT: consent_given,
    CallStep.MENU: chosen_from_menu,
    CallStep.VOTE: key_in_option,
    CallStep.CONFIRM: confirmed,
    CallStep.IDEA: recorded,
    CallStep.ENDED: _ignored,
}


def numbered(next_: Next, number: int) -> CallPage:
    """The page with its number, which the caller's next request carries."""
    return replace(next_.page, number=number)
