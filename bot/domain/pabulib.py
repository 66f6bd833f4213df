"""Rounds in pabulib's .pb format (META, PROJECTS, VOTES), so others can check our results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.outcome import TIE_BREAKING, Option, compute
from bot.errors import InvalidInput
from bot.text.money import MAX_PENCE, format_pence
from models import Ballot, Community, Round, RoundOption
from models.states import CountRule, RoundMethod, RoundStatus

if TYPE_CHECKING:
    from pabutools.utils import Numeric  # a .pb amount as pabutools reads it

RULE_NAMES: dict[str, str] = {CountRule.GREEDY: "greedy", CountRule.EQUAL_SHARES: "equalshares/add1"}
DEFAULT_RULE = CountRule.GREEDY  # for files whose META names no rule we know
METHOD_VOTE_TYPE = "approval"  # every method's ballots are approval sets


def export_pb(session: Session, round_: Round, community: Community) -> str:
    """The round as a .pb file. Residents are voters 1..n, with nothing that identifies them;
    paper ballots follow as voters "paper-<paper id>" (no number can clash with those), so a
    scrutineer can match each to its paper; then voting_method says how each ballot came."""
    # pabutools (with numpy and pulp) loads here, not when the CLI starts.
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project
    from pabutools.election.pabulib import election_as_pabulib_string

    rows = session.execute(
        select(Ballot.choices, Ballot.channel, Ballot.paper_id)
        .where(Ballot.round_id == round_.id)
        .order_by(Ballot.paper_id.is_not(None), Ballot.paper_id, Ballot.id)
    ).all()
    ballots = [row.choices for row in rows]
    winners = set((round_.outcome or {}).get("winners", []))
    tallies = (round_.outcome or {}).get("tallies", {})
    projects = {o.number: Project(str(o.number), -(-o.cost_pence // 100)) for o in round_.options}
    instance = Instance(projects.values(), budget_limit=round_.budget_pence // 100)
    instance.meta = {
        "description": _field(f"{community.name}: {round_.title}"),
        "country": "United Kingdom",
        "unit": community.name,
        "instance": str(round_.number or round_.id),
        "num_projects": str(len(projects)),
        "num_votes": str(len(ballots)),
        "budget": str(round_.budget_pence // 100),
        "vote_type": METHOD_VOTE_TYPE,
        "rule": RULE_NAMES[round_.rule],
        "currency": "GBP",
        "date_begin": _date(round_.opened_at or round_.opens_at),
        "date_end": _date(round_.closed_at or round_.closes_at),
        "language": "en",
    }
    for option in round_.options:
        instance.project_meta[projects[option.number]] = {
            "project_id": str(option.number),
            "cost": str(projects[option.number].cost),
            "name": _field(option.title),
            "votes": str(tallies.get(str(option.number), 0)),
            "selected": "1" if option.number in winners else "0",
        }
    profile = ApprovalProfile()
    if round_.method == RoundMethod.APPROVAL and round_.max_choices:
        profile.legal_max_length = round_.max_choices
    if round_.method == RoundMethod.BUDGET:
        profile.legal_max_cost = round_.budget_pence // 100
    mixed = any(row.paper_id for row in rows)  # files of message ballots only stay as they were
    for voter, row in enumerate(rows, start=1):
        ballot = ApprovalBallot(projects[n] for n in row.choices if n in projects)
        ballot.meta = {"voter_id": f"paper-{row.paper_id}" if row.paper_id else str(voter)}
        if mixed:
            ballot.meta["voting_method"] = row.channel
        profile.append(ballot)
    return str(election_as_pabulib_string(instance, profile))  # a str: pabutools ships no types


def publish_pb(session: Session, round_: Round, community: Community) -> str:
    """The closed round's anonymous ballots, as published on its public page: a .pb file whose
    voter ids are the receipts, in the receipts' order (not the order ballots came in, which a
    time someone was seen voting could be matched against). It holds no phone number, chat id,
    paper id, channel or time finer than the round's dates. META's budget is the money the count
    had, PROJECTS' `selected` marks the published winners, and the rule and its tie-breaking are
    named, so the file alone is enough to recount it (`commonpurse verify`)."""
    outcome = round_.outcome or {}
    winners = set(outcome.get("winners", []))
    tallies = outcome.get("tallies", {})
    votes = sorted(
        (receipt or "", sorted(choices))
        for receipt, choices in session.execute(
            select(Ballot.receipt, Ballot.choices).where(Ballot.round_id == round_.id)
        )
    )
    options = {o.number: o for o in round_.options}
    meta = {
        "description": _field(f"{community.name}: {round_.title}"),
        "country": "United Kingdom",
        "unit": _field(community.name),
        "instance": str(round_.number or round_.id),
        "num_projects": str(len(options)),
        "num_votes": str(len(votes)),
        "budget": str(outcome.get("budget_pence", round_.budget_pence) // 100),
        "vote_type": METHOD_VOTE_TYPE,
        "rule": RULE_NAMES[round_.rule],
        "tie_breaking": _field(outcome.get("tie_breaking", TIE_BREAKING)),
        "currency": "GBP",
        "date_begin": _date(round_.opened_at or round_.opens_at),
        "date_end": _date(round_.closed_at or round_.closes_at),
        "language": "en",
    }
    if round_.method == RoundMethod.APPROVAL and round_.max_choices:
        meta["max_length"] = str(round_.max_choices)
    if round_.method == RoundMethod.BUDGET:
        meta["max_sum_cost"] = str(round_.budget_pence // 100)
    lines = ["META", "key;value", *(f"{key};{value}" for key, value in meta.items())]
    lines += ["PROJECTS", "project_id;cost;name;votes;selected"]
    lines += [
        f"{n};{-(-o.cost_pence // 100)};{_field(o.title)};{tallies.get(str(n), 0)};{int(n in winners)}"
        for n, o in sorted(options.items())
    ]
    lines += ["VOTES", "voter_id;vote"]
    lines += [f"{receipt};{','.join(str(n) for n in choices if n in options)}" for receipt, choices in votes]
    return "\n".join(lines) + "\n"


def import_pb(
    session: Session, community: Community, text: str, now: datetime, rule: str | None = None
) -> Round:
    """A closed, imported round from a .pb file (never sent or funded), counted by `rule`, or
    when that is None by the rule the file's META names."""
    from pabutools.election.pabulib import parse_pabulib_from_string

    _check_shape(text)
    try:
        instance, profile = parse_pabulib_from_string(text)
    except KeyError as exc:  # a column the file's header lacks: pabutools names only the key
        raise InvalidInput(f"not a readable .pb file: it has no {exc.args[0]} column") from None
    except Exception as exc:  # pabutools raises many kinds on malformed files
        raise InvalidInput(f"not a readable .pb file: {type(exc).__name__}: {exc}") from None
    if instance.meta.get("vote_type", "approval") != "approval":
        raise InvalidInput("only approval .pb files can be imported")
    projects = sorted(instance, key=lambda p: (len(p.name), p.name))
    if not projects:
        raise InvalidInput("the .pb file has no projects")
    budget_pence = _pence(instance.budget_limit, "the budget")
    costs = {p.name: _pence(p.cost, f"project {p.name}'s cost") for p in projects}
    rule = rule or file_rule(instance.meta)
    number = {p.name: n for n, p in enumerate(projects, start=1)}
    title = instance.meta.get("description") or "Imported round"
    round_ = Round(
        community_id=community.id,
        title=title[:120],
        method=RoundMethod.APPROVAL,
        rule=rule,
        budget_pence=budget_pence,
        status=RoundStatus.CLOSED,
        imported=True,
        opens_at=now,
        closes_at=now,
        closed_at=now,
        created_at=now,
    )
    for project in projects:
        name = instance.project_meta.get(project, {}).get("name") or project.name
        round_.options.append(
            RoundOption(
                number=number[project.name], title=f"{project.name}: {name}", cost_pence=costs[project.name]
            )
        )
    session.add(round_)
    session.flush()
    ballots = [sorted(number[p.name] for p in ballot) for ballot in profile]
    for choices in ballots:
        session.add(
            Ballot(
                round_id=round_.id,
                resident_id=None,
                choices=choices,
                channel="import",
                cast_at=now,
                changed_at=now,
            )
        )
    options = [Option(o.number, o.cost_pence) for o in round_.options]
    round_.outcome = dict(
        compute(options, ballots, round_.budget_pence, rule),
        budget_pence=round_.budget_pence,
        computed_at=now.isoformat(),
    )
    return round_


SECTIONS = ("META", "PROJECTS", "VOTES")
NEEDED_META = ("budget", "vote_type")  # what pabutools reads from META without a default


def _check_shape(text: str) -> None:
    """InvalidInput naming, in words, the section or META line a .pb file lacks (pabutools
    says only "KeyError: 'vote_type'")."""
    rows = [line.split(";")[0].strip() for line in text.splitlines()]
    missing = [name for name in SECTIONS if name not in (row.upper() for row in rows)]
    if missing:
        kind = "not a .pb file" if len(missing) == len(SECTIONS) else "not a complete .pb file"
        names = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
        raise InvalidInput(f"{kind}: it has no {names} section (a .pb file has META, PROJECTS and VOTES)")
    upper = [row.upper() for row in rows]
    meta = set(rows[upper.index("META") + 1 : upper.index("PROJECTS")])
    lacking = [key for key in NEEDED_META if key not in meta]
    if lacking:
        raise InvalidInput(f"the .pb file's META has no {' or '.join(lacking)} line")


@dataclass(frozen=True)
class Recount:
    """A .pb file counted again: what it is, the winners now, and the winners it published."""

    description: str
    rule: str
    budget_pence: int
    ballots: int
    winners: list[int]
    published: list[int]

    @property
    def same(self) -> bool:
        return self.winners == self.published


def recount_pb(text: str) -> Recount:
    """Count a published .pb file again from its text alone (no database): its projects, ballots,
    budget and rule (META's `rule`), ties broken as every count here breaks them; and the
    winners its PROJECTS mark `selected`. InvalidInput, one line, for a file it cannot count."""
    from pabutools.election.pabulib import parse_pabulib_from_string

    try:
        instance, profile = parse_pabulib_from_string(text)
    except Exception as exc:  # pabutools raises many kinds on malformed files
        raise InvalidInput(f"not a readable .pb file: {type(exc).__name__}: {exc}") from None
    if instance.meta.get("vote_type", "approval") != "approval":
        raise InvalidInput("only approval .pb files can be recounted")
    projects = list(instance)
    if not projects:
        raise InvalidInput("the .pb file has no projects")
    named = instance.meta.get("rule", "").strip().lower()
    if named not in RULE_NAMES.values():
        known = " or ".join(RULE_NAMES.values())
        raise InvalidInput(f"the file's rule {named!r} is not one this recount knows ({known})")
    selected = {p.name: instance.project_meta.get(p, {}).get("selected") for p in projects}
    if None in selected.values():
        raise InvalidInput("the file does not say which projects were selected (no `selected` in PROJECTS)")
    number = _numbers([p.name for p in projects])
    budget = _pence(instance.budget_limit, "the budget")
    options = [Option(number[p.name], _pence(p.cost, f"project {p.name}'s cost")) for p in projects]
    ballots = [[number[p.name] for p in ballot] for ballot in profile]
    rule = file_rule(instance.meta)
    try:
        outcome = compute(options, ballots, budget, rule)
    except Exception as exc:  # a file no count can make sense of: say so, without a traceback
        raise InvalidInput(f"the file could not be counted: {type(exc).__name__}: {exc}") from None
    return Recount(
        description=instance.meta.get("description", ""),
        rule=rule,
        budget_pence=budget,
        ballots=len(ballots),
        winners=sorted(outcome["winners"]),
        published=sorted(number[name] for name, chosen in selected.items() if str(chosen).strip() == "1"),
    )


def _numbers(names: list[str]) -> dict[str, int]:
    """Option numbers for project ids: ours are the numbers themselves; other files' ids are
    numbered in order (1, 2, 10 before "a"), as `round import` numbers them."""
    if all(name.isascii() and name.isdigit() for name in names) and len(set(map(int, names))) == len(names):
        return {name: int(name) for name in names}
    ordered = sorted(names, key=lambda name: (len(name), name))
    return {name: n for n, name in enumerate(ordered, start=1)}


def file_rule(meta: dict[str, Any]) -> str:
    """Our rule for the one a .pb file's META names (rule;equalshares/add1 is equal shares)."""
    named = meta.get("rule", "").strip().lower()
    if named.startswith("equalshares"):
        return CountRule.EQUAL_SHARES
    return DEFAULT_RULE


def _pence(amount: Numeric, what: str) -> int:
    """A .pb amount (whole units of its currency) in pence; refuses a part unit, nothing, a
    negative or an absurd one (a free option would be funded whatever its votes)."""
    if amount < 0:
        raise InvalidInput(f"{what} is negative ({amount}): not a .pb file we can count")
    if amount == 0:
        raise InvalidInput(f"{what} is 0: not a .pb file we can count")
    if amount != int(amount):
        raise InvalidInput(
            f"{what} ({float(amount):g}) is not a whole amount: .pb amounts are in whole units"
        )
    pence = int(amount) * 100
    if pence > MAX_PENCE:
        raise InvalidInput(f"{what} is more than {format_pence(MAX_PENCE)}")
    return pence


def _date(value: datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _field(text: str) -> str:
    """Text safe inside a .pb line: no field separator, no line break or other control, and no
    double quote (pabutools reads lines as CSV: a name opening with one swallowed every line
    after it, ballots and all)."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).replace(";", ",").replace('"', "'")
