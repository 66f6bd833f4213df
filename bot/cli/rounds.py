"""`commonpurse round ...`: schedule, open, close, cancel, recount, export and import rounds, and
add paper ballots to an open one."""

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bot.cli.commands import summary
from bot.cli.output import echo, emit, emit_object, plural
from bot.cli.params import COUNT, ID, MONEY
from bot.context import get_db, now
from bot.domain import paper_ballots as paper
from bot.domain import rounds
from bot.domain.communities import by_slug
from bot.domain.pabulib import export_pb, import_pb
from bot.domain.serialise import round_json
from bot.errors import InvalidInput
from bot.text.json_text import to_json
from bot.text.money import format_pence
from bot.text.times import parse_local
from models import ROUND_METHODS, ROUND_RULES, Round

# What a round's transition returns (opened? closed? how many reminded?), for its message.
Done = TypeVar("Done")

round_group = AppGroup("round", help=summary("round"))
community_option = click.option("--community", "slug", required=True, help="Community slug.")
# The round's number in its community (1, 2, 3...), as `round list` shows it.
round_argument = click.argument("number", type=ID)

COLUMNS = [
    ("#", "number"),
    ("STATUS", "shown_status"),
    ("METHOD", "method"),
    ("RULE", "rule"),
    ("OPENS", "opens_at"),
    ("CLOSES", "closes_at"),
    ("BALLOTS", "ballots"),
    ("TITLE", "title"),
]


@round_group.command("create")
@community_option
@click.option("--title", required=True)
@click.option("--method", type=click.Choice(ROUND_METHODS), required=True)
@click.option("--rule", type=click.Choice(ROUND_RULES), default="greedy", show_default=True)
@click.option("--ideas", required=True, help="Shortlisted idea numbers, in ballot order: 3,5,8.")
@click.option("--opens", required=True, help="Local time, e.g. '2026-12-01 09:00'.")
@click.option("--closes", required=True, help="Local time, e.g. '2026-12-14 18:00'.")
@click.option("--remind", help="Local time to remind those who have not voted.")
@click.option("--budget", type=MONEY, help="Money this round allocates (default: all still to decide).")
@click.option("--max-choices", type=COUNT, help="Approval rounds: at most this many.")
@click.option(
    "--order",
    type=click.Choice(rounds.BALLOT_ORDERS),
    default="shuffled",
    show_default=True,
    help="Options in each member's own order (a rotation of a random order), or in number order.",
)
def create(
    slug: str,
    title: str,
    method: str,
    rule: str,
    ideas: str,
    opens: str,
    closes: str,
    remind: str | None,
    budget: int | None,
    max_choices: int | None,
    order: str,
) -> None:
    """Schedule a round of shortlisted ideas."""
    numbers = _idea_numbers(ideas)
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        tz = community.timezone
        round_ = rounds.create_round(
            session,
            community,
            title=title,
            method=method,
            rule=rule,
            idea_numbers=numbers,
            opens_at=parse_local(opens, tz),
            closes_at=parse_local(closes, tz),
            remind_at=parse_local(remind, tz) if remind else None,
            budget_pence=budget,
            max_choices=max_choices,
            order=order,
            now=now(),
        )
        echo(
            f"Round {round_.number} scheduled: {round_.title}, "
            f"{plural(len(round_.options), 'option')}, {format_pence(round_.budget_pence)} to allocate."
        )


def _idea_numbers(text: str) -> list[int]:
    """ "3,5,8" as [3, 5, 8]."""
    try:
        return [ID.convert(n, None, None) for n in text.replace(" ", "").split(",") if n]
    except click.BadParameter:
        raise click.BadParameter(
            f"{text!r} is not a list of idea numbers like 3,5,8", param_hint="--ideas"
        ) from None


@round_group.command("list")
@community_option
@click.option("--json", "as_json", is_flag=True)
def list_(slug: str, as_json: bool) -> None:
    """List a community's rounds, newest first."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        rows = [round_json(session, r, community) for r in rounds.rounds_of(session, community)]
    emit(rows if as_json else [dict(row, shown_status=_status(row)) for row in rows], COLUMNS, as_json)


def _status(data: dict[str, Any]) -> str:
    """The status, marked when the round was read from a file (never sent or funded)."""
    return f"{data['status']} (imported)" if data["imported"] else data["status"]


@round_group.command("show")
@community_option
@round_argument
@click.option("--json", "as_json", is_flag=True)
def show(slug: str, number: int, as_json: bool) -> None:
    """A round's options, turnout and outcome."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        round_ = rounds.get_round(session, community, number)
        data = round_json(session, round_, community)
        split = _on_paper_too(session, round_)
    winners = set((data["outcome"] or {}).get("winners", []))
    lines = [
        f"Round {data['number']}: {data['title']} ({_status(data)}, {data['method']}, {data['rule']})",
        f"  Opens {data['opens_at']}, closes {data['closes_at']}; budget {data['budget']}",
        f"  Ballots: {data['ballots_by_message']} of {plural(data['members'], 'member')}{split}",
    ]
    for option in data["options"]:
        mark = "  WON" if option["number"] in winners else ""
        lines.append(
            f"  {option['number']}. {option['title']} ({option['cost']}): "
            f"{plural(option['votes'], 'vote')}{mark}"
        )
    if data["outcome"]:
        lines.append(
            f"  Allocated {format_pence(data['outcome']['allocated_pence'])} by "
            f"{data['outcome']['rule']}; ties: {data['outcome']['tie_breaking']}"
        )
    emit_object(data, as_json, lines)


def _transition(
    name: str,
    action: Callable[[Session, Round, datetime], Done],
    said: Callable[[Done, int], str],
    help: str,
    short_help: str | None = None,
) -> click.Command:
    """A command that moves round N on with `action`; `said(result, N)` is what it prints."""

    @round_group.command(name, help=help, short_help=short_help)
    @community_option
    @round_argument
    def command(slug: str, number: int) -> None:
        with get_db().transaction() as session:
            round_ = rounds.get_round(session, by_slug(session, slug), number)
            echo(said(action(session, round_, now()), number))

    return command


def _reminded(sent: int | None, number: int) -> str:
    # Asked again, nothing is sent: like opening twice, that is not an error (exit code 0).
    if sent is None:
        return f"Reminders for round {number} were already sent: nothing sent again."
    return f"Reminders queued for {plural(sent, 'member')} of round {number} who had not voted."


_transition(
    "open",
    rounds.open_round,
    lambda opened, n: (
        f"Round {n} is open; members have been sent the ballot."
        if opened
        else f"Round {n} was already open: nothing sent again."
    ),
    "Open voting now and send members the ballot (once).",
)
_transition(
    "close",
    rounds.close_round,
    lambda closed, n: (
        f"Round {n} is closed; results sent and winners funded."
        if closed
        else f"Round {n} was already closed: nothing changed."
    ),
    "Close voting now: count, fund the winners, send the results (once).",
    "Close voting now: count, fund, send results.",
)
_transition(
    "cancel",
    rounds.cancel_round,
    lambda _none, n: f"Round {n} is cancelled.",
    "Call a round off; its ideas go back to the shortlist.",
)
_transition(
    "remind",
    rounds.remind,
    _reminded,
    "Remind members who have not voted (once each; asked again, nothing is sent).",
    "Remind members who have not voted (once each).",
)


@round_group.command("reschedule")
@community_option
@round_argument
@click.option("--opens", help="New local opening time.")
@click.option("--closes", help="New local closing time.")
@click.option("--remind", help="New local reminder time.")
def reschedule(slug: str, number: int, opens: str | None, closes: str | None, remind: str | None) -> None:
    """Move a round's times (the scheduler follows within minutes)."""
    if not (opens or closes or remind):
        raise click.UsageError("give at least one of --opens, --closes, --remind")
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        tz = community.timezone
        rounds.reschedule_round(
            session,
            rounds.get_round(session, community, number),
            now(),
            opens_at=parse_local(opens, tz) if opens else None,
            closes_at=parse_local(closes, tz) if closes else None,
            remind_at=parse_local(remind, tz) if remind else None,
        )
        echo(f"Round {number} rescheduled.")


@round_group.command("recount", short_help="Recount a closed round; exit 1 if it differs.")
@community_option
@round_argument
def recount(slug: str, number: int) -> None:
    """Recount a closed round from its ballots; exit code 1 if it differs from what was published."""
    with get_db().transaction() as session:
        round_ = rounds.get_round(session, by_slug(session, slug), number)
        same, again = rounds.recount(session, round_)
        published = round_.outcome
        assert published is not None  # recount refuses a round without an outcome
        split = _split(session, round_)
    if same:
        echo(
            f"Round {number} recounted from {plural(again['ballots'], 'ballot')}{split}: "
            f"the same winners as published ({_numbers(again['winners'])})."
        )
        return
    echo(
        f"Round {number} recount DIFFERS: published {_numbers(published['winners'])}, "
        f"recount {_numbers(again['winners'])}.",
        err=True,
    )
    raise SystemExit(1)


@round_group.command("export", short_help="Write a round for auditors (.pb or JSON).")
@community_option
@round_argument
@click.option("--format", "fmt", type=click.Choice(["pb", "json"]), default="pb", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
def export(slug: str, number: int, fmt: str, output: str | None) -> None:
    """Write a round for auditors: pabulib .pb (anonymous voter ids) or JSON."""
    with get_db().transaction() as session:
        community = by_slug(session, slug)
        round_ = rounds.get_round(session, community, number)
        text = (
            export_pb(session, round_, community)
            if fmt == "pb"
            else to_json(round_json(session, round_, community))
        )
    if output:
        _write(output, text)
        echo(f"Wrote {output}.")
    else:
        echo(text, multiline=True, nl=False)


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:  # no such folder, no permission, disk full
        raise click.BadParameter(f"cannot write {path!r}: {exc.strerror}", param_hint="--output") from None


@round_group.command("import", short_help="Count a closed round from a .pb file.")
@community_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["pb"]), default="pb", show_default=True)
@click.option(
    "--rule",
    type=click.Choice(ROUND_RULES),
    default=None,
    help="Count by this rule instead of the one in the file's META (else greedy).",
)
def import_(slug: str, path: str, fmt: str, rule: str | None) -> None:
    """Create a closed round from a .pb file and count it by our rule (nothing sent or funded)."""
    text = _read(path)
    with get_db().transaction() as session:
        round_ = import_pb(session, by_slug(session, slug), text, now(), rule=rule)
        outcome = round_.outcome
        assert outcome is not None  # an imported round is counted as it is made
        echo(
            f"Imported round {round_.number}: {plural(len(round_.options), 'option')}, "
            f"{plural(outcome['ballots'], 'ballot')}; {round_.rule} funds "
            f"{_numbers(outcome['winners'])}."
        )


def _read(path: str) -> str:
    """A .pb file's text: UTF-8 (with or without a byte order mark) and free of NUL."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{path!r} is not UTF-8 text", param_hint="PATH") from None
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path!r}: {exc.strerror}", param_hint="PATH") from None
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        raise click.BadParameter(f"{path!r} contains NUL characters", param_hint="PATH")
    return text


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "nothing"


def _on_paper_too(session: Session, round_: Round) -> str:
    """ ", and 2 on paper" when the round has paper ballots (paper voters are not members)."""
    _by_message, on_paper = paper.ballot_counts(session, round_)
    return f", and {on_paper} on paper" if on_paper else ""


def _split(session: Session, round_: Round) -> str:
    """ " (3 by message, 2 on paper)" when the round has paper ballots; else nothing."""
    by_message, on_paper = paper.ballot_counts(session, round_)
    return f" ({by_message} by message, {on_paper} on paper)" if on_paper else ""


# Paper and in-person ballots.

ballots_group = AppGroup("ballots", help="Paper and in-person ballots in an open round.")
round_group.add_command(ballots_group)


@ballots_group.command("add")
@community_option
@round_argument
@click.option("--paper-id", required=True, help="The id written on the paper, e.g. P-0042.")
@click.option("--choices", required=True, help="The option numbers marked on it: 1,3.")
def ballots_add(slug: str, number: int, paper_id: str, choices: str) -> None:
    """Add one paper ballot, checked as a resident's would be."""
    with get_db().transaction() as session:
        round_ = rounds.get_round(session, by_slug(session, slug), number)
        ballot = paper.add_paper_ballot(session, round_, paper_id, _choices(choices), now())
        echo(f"Paper ballot {paper.describe(ballot)} added to round {number}; receipt {ballot.receipt}.")


def _choices(text: str) -> list[int]:
    try:
        return paper.choices_of(text)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc), param_hint="--choices") from None


@ballots_group.command("import", short_help="Add paper ballots from a CSV: all, or none.")
@community_option
@round_argument
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check every row and show what would be added; add nothing.")
def ballots_import(slug: str, number: int, path: str, dry_run: bool) -> None:
    """Add paper ballots from a CSV (columns paper_id,choices; PATH - reads stdin): all, or none
    if any row is bad. Exit code 2 when any row is bad, with one line for each."""
    text = _read(path) if path != "-" else _stdin()
    with get_db().transaction() as session:
        round_ = rounds.get_round(session, by_slug(session, slug), number)
        checked = paper.check_csv(session, round_, text)
        if dry_run:
            for ballot in checked.ballots:
                echo(f"line {ballot.line}: would add {paper.describe(ballot)}")
        if checked.problems:
            for problem in checked.problems:
                echo(f"commonpurse: error: {problem}", err=True)
            echo(
                f"commonpurse: error: {plural(len(checked.problems), 'bad row')}: "
                f"{'nothing would be' if dry_run else 'nothing was'} added to round {number}",
                err=True,
            )
            sys.exit(2)
        if dry_run:
            echo(
                f"Dry run: {plural(len(checked.ballots), 'paper ballot')} would be added to "
                f"round {number}; nothing was added."
            )
            return
        for stored in paper.import_csv(session, round_, text, now()):
            echo(f"added {paper.receipted(stored)}")
        echo(f"{plural(len(checked.ballots), 'paper ballot')} added to round {number}.")


def _stdin() -> str:
    try:
        text = sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.BadParameter("the CSV on stdin is not UTF-8 text", param_hint="PATH") from None
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        raise click.BadParameter("the CSV contains NUL characters", param_hint="PATH")
    return text


@ballots_group.command("list")
@community_option
@round_argument
@click.option("--json", "as_json", is_flag=True)
def ballots_list(slug: str, number: int, as_json: bool) -> None:
    """The round's paper ballots, by paper id."""
    with get_db().transaction() as session:
        round_ = rounds.get_round(session, by_slug(session, slug), number)
        rows = [
            {"paper_id": b.paper_id, "choices": b.choices, "added_at": b.cast_at.isoformat()}
            for b in paper.paper_ballots(session, round_)
        ]
    emit(rows, [("PAPER", "paper_id"), ("CHOICES", "choices"), ("ADDED", "added_at")], as_json)
