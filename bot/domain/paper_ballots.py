"""Paper and in-person ballots: organisers enter them into an open round, one at a time or from
a CSV (paper_id,choices). Each is checked exactly as a resident's ballot is, counted with them,
known by the id written on the paper (once per round), and recorded in the audit trail."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.audit import current_actor
from bot.domain.ballots import problem
from bot.domain.communities import lock_community
from bot.domain.receipts import new_receipt
from bot.errors import InvalidInput
from models import AuditEntry, Ballot, Round
from models.round import PAPER
from models.states import RoundStatus

PAPER_ID_MAX = 40  # what the column holds
# Letters, digits and . _ / - only: safe in a .pb line, a CSV cell and a terminal.
_PAPER_ID = re.compile(r"[A-Z0-9][A-Z0-9._/-]*")
_CHOICES = re.compile(r"\d{1,9}(?:\s*[,;\s]\s*\d{1,9})*")
COLUMNS = ("paper_id", "choices")

# What problem() says to a resident, said to the organiser entering the paper.
_PROBLEMS = {
    "vote_unknown_option": "option {number} is not on the ballot (it has options 1 to {count})",
    "vote_choose_one": "this round takes exactly one choice",
    "vote_too_many": "this round takes at most {k} choices",
    "vote_over_budget": "those choices cost {total} in all, more than the {budget} to spend",
}


@dataclass(frozen=True)
class PaperBallot:
    paper_id: str
    choices: list[int]
    line: int | None = None  # in the CSV it came from


@dataclass(frozen=True)
class Checked:
    """A CSV read against a round: the ballots it would add, and every bad row."""

    ballots: list[PaperBallot]
    problems: list[str]  # "line 4: ...", in file order


def paper_id_of(text: str) -> str:
    """The paper id as stored (upper case, so p-42 and P-42 are one paper); InvalidInput if bad."""
    value = text.strip().upper()
    if not value:
        raise InvalidInput("give the paper's id, as written on it (e.g. P-0042)", field="paper_id")
    if len(value) > PAPER_ID_MAX or not _PAPER_ID.fullmatch(value):
        raise InvalidInput(
            f"{text.strip()[:60]!r} is not a paper id: up to {PAPER_ID_MAX} letters, "
            "digits and . _ / -, starting with a letter or digit",
            field="paper_id",
        )
    return value


def choices_of(text: str) -> list[int]:
    """ "1,3" (or "1 3", "1;3") as [1, 3]; InvalidInput if it is not a list of option numbers."""
    value = text.strip()
    if not value:
        raise InvalidInput("no choices: a blank paper is not a ballot", field="choices")
    if not _CHOICES.fullmatch(value):
        raise InvalidInput(f"{value[:60]!r} is not a list of option numbers like 1,3", field="choices")
    numbers, seen = [int(n) for n in re.findall(r"\d+", value)], set()
    for number in numbers:  # on paper a number written twice is more likely a slip than a vote
        if number in seen:
            raise InvalidInput(f"option {number} is listed twice in {value[:60]!r}", field="choices")
        seen.add(number)
    return numbers


def add_paper_ballot(
    session: Session, round_: Round, paper_id: str, choices: list[int], now: datetime
) -> Ballot:
    """Add one paper ballot to an open round (as its organiser typed it in)."""
    ballot = PaperBallot(paper_id_of(paper_id), list(choices))
    _check_open(session, round_)
    _check_choices(round_, ballot.choices)
    if ballot.paper_id in _paper_ids(session, round_):
        raise InvalidInput(_duplicate(round_, ballot.paper_id), field="paper_id")
    return _store(session, round_, [ballot], now)[0]


def check_csv(session: Session, round_: Round, text: str) -> Checked:
    """Read a CSV of paper ballots against the round: what it would add, and every bad row.
    Nothing is locked while a file is read (a large one takes a while)."""
    _refuse_unless_open(round_)
    rows = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(rows, None)
        if header is None or [h.strip().lower() for h in header] != list(COLUMNS):
            return Checked([], [f"line 1: the first line must name the columns {','.join(COLUMNS)}"])
        stored, seen = _paper_ids(session, round_), dict[str, int]()
        ballots, problems = list[PaperBallot](), list[str]()
        for fields in rows:
            if any(f.strip() for f in fields):  # blank lines are skipped
                _check_row(round_, fields, rows.line_num, stored, seen, ballots, problems)
    except csv.Error as exc:  # an unclosed quote, a field over csv's size limit
        return Checked([], [f"line {rows.line_num}: not readable as CSV ({exc})"])
    if not ballots and not problems:
        problems.append("the file has no ballots under its header")
    return Checked(ballots, problems)


def _check_row(
    round_: Round,
    fields: list[str],
    line: int,
    stored: set[str],
    seen: dict[str, int],  # paper id -> the line it was first on
    ballots: list[PaperBallot],
    problems: list[str],
) -> None:
    """Add the row to `ballots`, or what is wrong with it to `problems`."""
    try:
        if len(fields) != len(COLUMNS):
            raise InvalidInput(
                f"expected 2 columns ({','.join(COLUMNS)}), found {len(fields)} "
                '(put choices with commas in quotes: "1,3")'
            )
        ballot = PaperBallot(paper_id_of(fields[0]), choices_of(fields[1]), line)
        _check_choices(round_, ballot.choices)
        if ballot.paper_id in stored:
            raise InvalidInput(_duplicate(round_, ballot.paper_id))
        if ballot.paper_id in seen:
            raise InvalidInput(f"paper {ballot.paper_id} is also on line {seen[ballot.paper_id]}")
    except InvalidInput as exc:
        problems.append(f"line {line}: {exc}")
        return
    seen[ballot.paper_id] = line
    ballots.append(ballot)


def import_csv(session: Session, round_: Round, text: str, now: datetime) -> list[Ballot]:
    """Add every ballot in the CSV, or none: InvalidInput, one line per problem, if any row is bad."""
    checked = check_csv(session, round_, text)
    if checked.problems:
        raise InvalidInput("\n".join(checked.problems))
    _check_open(session, round_)  # read, then locked only to store
    return _store(session, round_, checked.ballots, now)


def ballot_counts(session: Session, round_: Round) -> tuple[int, int]:
    """How many of the round's ballots came by message, and how many on paper."""
    total, paper = session.execute(
        select(func.count(), func.count(Ballot.paper_id)).where(Ballot.round_id == round_.id)
    ).one()
    return total - paper, paper


def paper_ballots(session: Session, round_: Round) -> list[Ballot]:
    """The round's paper ballots, by paper id."""
    return list(
        session.scalars(
            select(Ballot)
            .where(Ballot.round_id == round_.id, Ballot.channel == PAPER)
            .order_by(Ballot.paper_id)
        )
    )


def describe(ballot: PaperBallot | Ballot) -> str:
    """ "P-0042 (1, 3)"."""
    return f"{ballot.paper_id} ({', '.join(str(n) for n in ballot.choices)})"


def receipted(ballot: Ballot) -> str:
    """ "P-0042 (1, 3), receipt K7QM-2XPD": what the import report prints for each paper, so the
    voter (at a stall, say) can be given the code their ballot is published under."""
    return f"{describe(ballot)}, receipt {ballot.receipt}"


def _distinct_receipts(count: int) -> list[str]:
    """`count` new receipts, no two alike (the round's unique index checks them against the rest)."""
    found: dict[str, None] = {}
    while len(found) < count:
        found[new_receipt()] = None
    return list(found)


def _check_open(session: Session, round_: Round) -> None:
    """Open, as seen under the community's lock: a close running at the same moment either
    counts these ballots or finds them refused."""
    lock_community(session, round_.community_id)
    session.refresh(round_, ["status"])
    _refuse_unless_open(round_)


def _refuse_unless_open(round_: Round) -> None:
    if round_.status != RoundStatus.OPEN:
        raise InvalidInput(
            f"round {round_.number} is {round_.status}: paper ballots are added only while it is open"
        )


def _check_choices(round_: Round, choices: list[int]) -> None:
    if not choices:
        raise InvalidInput("no choices: a blank paper is not a ballot", field="choices")
    found = problem(round_, choices)
    if found is not None:
        key, values = found
        raise InvalidInput(_PROBLEMS[key].format(**values), field="choices")


def _paper_ids(session: Session, round_: Round) -> set[str]:
    return set(
        session.scalars(
            select(Ballot.paper_id).where(Ballot.round_id == round_.id, Ballot.paper_id.is_not(None))
        )
    )


def _duplicate(round_: Round, paper_id: str) -> str:
    return f"paper {paper_id} is already counted in round {round_.number}"


def _store(session: Session, round_: Round, ballots: list[PaperBallot], now: datetime) -> list[Ballot]:
    """Insert them and their audit entries; another organiser entering the same paper at the same
    moment meets the unique index, and gets the same message as a duplicate found first."""
    receipts = _distinct_receipts(len(ballots))
    rows = [
        Ballot(
            round_id=round_.id,
            resident_id=None,
            paper_id=b.paper_id,
            choices=b.choices,
            channel=PAPER,
            receipt=receipt,
            cast_at=now,
            changed_at=now,
        )
        for b, receipt in zip(ballots, receipts, strict=True)
    ]
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        taken = _paper_ids(session, round_) & {b.paper_id for b in ballots}
        raise InvalidInput(
            _duplicate(round_, min(taken)) if taken else "the paper ballots could not be stored: try again",
            field="paper_id",
        ) from None
    # Ballots are not among audit.FIELDS (residents' votes are never audited): recorded here.
    actor = current_actor()
    if actor is not None:
        session.add_all(
            AuditEntry(
                community_id=round_.community_id,
                actor=actor[:200],
                subject=f"round {round_.number}",
                action=f"paper ballot added: {describe(b)}",
                created_at=now,
            )
            for b in ballots
        )
    return rows
