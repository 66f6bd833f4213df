"""How a round reads in a message: the ballot, the options, the choices made, the result."""

import hashlib
from collections.abc import Collection, Sequence
from functools import lru_cache

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from bot.text.catalogue import PLACEHOLDER_MAX, entry_for, fits, render
from bot.text.clean import shorten, visible
from bot.text.money import Money, money_in
from bot.text.times import Moment
from channels.messages import Choice
from models import Community, Round, RoundOption
from models.states import RoundMethod

TITLE_IN_LIST = 28
TITLE_MAX = PLACEHOLDER_MAX["title"]  # a longer title is cut in every message that names it
# The longest a closing time reads ("12:30pm Wed 30 Dec"), so a round rescheduled later still fits.
LONGEST_CLOSES = "W" * PLACEHOLDER_MAX["closes"]


def option_lines(round_: Round, language: str = "en", options: Sequence[RoundOption] | None = None) -> str:
    listed = round_.options if options is None else options
    return "\n".join(_line(o.number, o.title, o.cost_pence, language) for o in listed)


@lru_cache(maxsize=4096)
def _line(number: int, title: str, cost_pence: int, language: str) -> str:
    """One option as a list shows it (made once: a ballot's pages are measured line by line)."""
    return f"{number} {shorten(visible(title), TITLE_IN_LIST)} {money_in(cost_pence, language)}"


# The page numbers a page is measured with: no round has this many pages.
_MOST_PAGES = 999


def rotation_of(round_: Round, resident_id: int) -> int | None:
    """Which rotation of the round's random order a resident sees (None: number order). Members
    take the rotations in turn by id from a random start, so each option is first, second, ...
    last for as nearly equal a share of them as can be: the rotated ballot papers of elections
    that guard against the donkey vote. The same resident always gets the same rotation, so
    OPTIONS shows them the same order every time."""
    if not round_.ballot_order_seed or not round_.options:
        return None
    return (resident_id + _start(round_)) % len(round_.options)


def rotation_expression(
    round_: Round, resident_id: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[int] | None:
    """rotation_of(), in SQL, for a broadcast that sends each rotation once."""
    if not round_.ballot_order_seed or not round_.options:
        return None
    return (resident_id + _start(round_)) % len(round_.options)


def in_order(round_: Round, rotation: int | None = None) -> list[RoundOption]:
    """The options in the order a resident with `rotation` sees them: the round's random order
    (drawn from its seed) turned by `rotation`; number order when there is no rotation."""
    options = list(round_.options)
    seed = round_.ballot_order_seed
    if rotation is None or not seed or not options:
        return options
    drawn = sorted(options, key=lambda o: hashlib.sha256(f"{seed}:{o.number}".encode()).digest())
    turn = rotation % len(drawn)
    return drawn[turn:] + drawn[:turn]


def _start(round_: Round) -> int:
    """Where the turns begin: from the seed, below the number of options (small enough to add to
    a 32-bit id in SQL)."""
    drawn = int(hashlib.sha256(f"{round_.ballot_order_seed}:start".encode()).hexdigest()[:8], 16)
    return drawn % len(round_.options)


def option_pages(round_: Round, language: str = "en", rotation: int | None = None) -> list[list[RoundOption]]:
    """The round's options as OPTIONS shows them (in the order of `rotation`): all in one message
    when they fit its SMS budget, else in pages that each fit, in order (so no option is ever cut
    off the end)."""
    options = in_order(round_, rotation)
    how = how_to_vote(round_, language)
    if fits("options", language, title=round_.title, lines=option_lines(round_, language, options), how=how):
        return [options]

    def page_fits(page: list[RoundOption]) -> bool:
        return fits(
            "options_page",
            language,
            title=round_.title,
            page=_MOST_PAGES,
            pages=_MOST_PAGES,
            next=_MOST_PAGES,
            how=how,
            lines=option_lines(round_, language, page),
        )

    # Each page takes as many of the options left as fit (at least one). A longer page never
    # fits where a shorter one does not, so the most is found by halving, not one by one: a
    # ballot of 50 options is rendered once per rotation when a round opens.
    pages: list[list[RoundOption]] = []
    start = 0
    while start < len(options):
        low, high = start + 1, len(options)  # options[start:low] is taken whether it fits or not
        while low < high:
            middle = (low + high + 1) // 2
            if page_fits(options[start:middle]):
                low = middle
            else:
                high = middle - 1
        pages.append(options[start:low])
        start = low
    return pages


def buttons_at(
    round_: Round, number: int | None, selected: Collection[int], language: str, rotation: int | None = None
) -> tuple[Choice, ...]:
    """The buttons of the page that holds option `number` (the first page if none does), the
    `selected` options ticked, in the order of `rotation`."""
    pages = option_pages(round_, language, rotation)
    page = next((n for n, page in enumerate(pages, 1) if any(o.number == number for o in page)), 1)
    return page_buttons(round_, pages, page, selected, language)


def how_to_vote(round_: Round, language: str) -> str:
    if round_.method == "choose-one":
        return render("how_choose_one", language)
    if round_.method == RoundMethod.BUDGET:
        return render("how_budget", language, budget=Money(round_.budget_pence))
    if round_.max_choices:
        return render("how_approval_k", language, k=round_.max_choices)
    return render("how_approval", language)


def ballot(
    round_: Round, community: Community, language: str, rotation: int | None = None
) -> tuple[str, tuple[Choice, ...]]:
    """The message that opens a round: the whole ballot if it fits in 3 SMS segments, else a
    short text pointing to OPTIONS. Channels with buttons get one per option. Options come in the
    order of `rotation`."""
    pages = option_pages(round_, language, rotation)
    values = dict(
        title=round_.title,
        lines=option_lines(round_, language, in_order(round_, rotation)),
        how=how_to_vote(round_, language),
        closes=Moment(round_.closes_at, community.timezone),
        community=community.name,
    )
    if fits("round_open", language, **values):
        text = render("round_open", language, **values)
    else:
        text = render("round_open_short", language, count=len(round_.options), **values)
    return text, page_buttons(round_, pages, 1, (), language)


def opening_fits(title: str, options: int, language: str) -> bool:
    """Whether `title` goes whole into the short message that opens a round of `options`
    (sent whenever the whole ballot does not fit), whatever time the round closes."""
    return len(title) <= TITLE_MAX and fits(
        "round_open_short", language, title=title, count=options, closes=LONGEST_CLOSES
    )


def opening_segments() -> int:
    """The SMS segments the short opening message may cost."""
    return entry_for("round_open_short").segments


def options(
    round_: Round, language: str, page: int = 1, selected: Collection[int] = (), rotation: int | None = None
) -> tuple[str, tuple[Choice, ...]]:
    """OPTIONS: the options (or page `page` of them, the nearest there is), in the order of
    `rotation`, and how to vote; a page before the last says how to see the next. Buttons of
    `selected` options are ticked."""
    pages = option_pages(round_, language, rotation)
    how = how_to_vote(round_, language)
    if len(pages) == 1:
        lines = option_lines(round_, language, pages[0])
        text = render("options", language, title=round_.title, lines=lines, how=how)
        return text, buttons(round_, selected, language, pages[0])
    page = min(max(page, 1), len(pages))
    key = "options_page" if page < len(pages) else "options_last_page"
    text = render(
        key,
        language,
        title=round_.title,
        page=page,
        pages=len(pages),
        next=page + 1,
        lines=option_lines(round_, language, pages[page - 1]),
        how=how,
    )
    return text, page_buttons(round_, pages, page, selected, language)


def page_buttons(
    round_: Round, pages: list[list[RoundOption]], page: int, selected: Collection[int], language: str
) -> tuple[Choice, ...]:
    """The buttons of one page of options, and one to the next page (from the last, back to
    the first), so a keyboard stays well under Telegram's 100 buttons however many options a
    round has."""
    found = buttons(round_, selected, language, pages[page - 1])
    if len(pages) > 1:
        found += (Choice(render("button_more", language), f"OPTIONS {page % len(pages) + 1}"),)
    return found


def buttons(
    round_: Round,
    selected: Collection[int] = (),
    language: str = "en",
    options: Sequence[RoundOption] | None = None,
) -> tuple[Choice, ...]:
    """One vote button per option (of `options`, else all) for choose-one; toggles and Submit
    for the others."""

    def label(o: RoundOption) -> str:
        return f"{o.number}. {shorten(visible(o.title), TITLE_IN_LIST)} ({money_in(o.cost_pence, language)})"

    shown = round_.options if options is None else options
    tag = f"@{round_.id}"  # a button kept from an earlier round must not vote in this one
    if round_.method == "choose-one":
        return tuple(Choice(label(o), f"VOTE {o.number} {tag}") for o in shown)
    toggles = tuple(
        Choice(("✅ " if o.number in selected else "") + label(o), f"TOGGLE {o.number} {tag}") for o in shown
    )
    return toggles + (Choice(render("button_submit", language), f"SUBMIT {tag}"),)


def chosen(round_: Round, choices: list[int], language: str = "en", room: int | None = None) -> str:
    """ "1 benches, 3 lights": the options chosen (a vote, the winners), as many whole as fit in
    `room` characters (the placeholder's), then "and 4 more", never a list cut mid-title."""
    titles = {o.number: shorten(visible(o.title), TITLE_IN_LIST) for o in round_.options}
    items = [f"{n} {titles[n]}" for n in choices if n in titles]
    room = room or PLACEHOLDER_MAX["choices"]
    whole = ", ".join(items)
    if len(whole) <= room:
        return whole
    shown: list[str] = []
    for item in items:
        more = render("and_more", language, count=len(items) - len(shown) - 1)
        if len(", ".join([*shown, item])) + 1 + len(more) > room:
            break
        shown.append(item)
    return f"{', '.join(shown)} {render('and_more', language, count=len(items) - len(shown))}"


def chosen_within(round_: Round, choices: list[int], language: str, key: str, **values: object) -> str:
    """chosen(), with as many whole options as the message `key` holds beside its other `values`
    (a vote's confirmation also carries its receipt), so none is cut mid-title."""
    room = PLACEHOLDER_MAX["choices"]
    while True:
        text = chosen(round_, choices, language, room)
        if room <= 20 or fits(key, language, choices=text, **values):
            return text
        room -= 10


def result(round_: Round, language: str, link: str | None = None) -> str:
    """The round's result; with `link` (the round's public page, where its ballots are published),
    where to check every ballot. A link too long to send whole is left out."""
    outcome = round_.outcome or {}
    winners = outcome.get("winners") or []
    checked = link is not None and len(link) <= PLACEHOLDER_MAX["link"]
    if not winners:
        if checked:
            return render("result_none_check", language, title=round_.title, link=link)
        return render("result_none", language, title=round_.title)
    if not checked:
        return render(
            "result",
            language,
            title=round_.title,
            winners=chosen(round_, winners, language, PLACEHOLDER_MAX["winners"]),
            allocated=Money(outcome["allocated_pence"]),
        )
    values = dict(title=round_.title, allocated=Money(outcome["allocated_pence"]), link=link)
    room = PLACEHOLDER_MAX["winners"]
    while True:  # as many whole winners as fit beside the link
        named = chosen(round_, winners, language, room)
        if room <= 20 or fits("result_check", language, winners=named, **values):
            return render("result_check", language, winners=named, **values)
        room -= 10
