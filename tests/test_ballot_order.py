"""Fair ballot order: each member sees a round's options in their own order (a rotation of the
round's random order), the same every time they ask; numbers stay the option numbers, so "2"
always votes for option 2. On SMS and WhatsApp the listing, on Telegram the buttons."""

import re

import pytest
from sqlalchemy import select

from bot.text.round_messages import in_order, rotation_of
from models import Ballot, Round, RoundOption
from tests.test_option_pages import open_round


def listed(text: str) -> list[int]:
    """The option numbers of a listing, in the order shown."""
    return [int(n) for n in re.findall(r"^(\d+) idea number", text, re.M)]


@pytest.fixture
def two(member, new_chat):
    """Two members, joined before the round opens."""
    other = new_chat()
    other.say("hi")
    other.say("YES")
    return member, other


def test_two_residents_see_a_six_option_round_in_different_orders_the_same_each_time(two, db, clock):
    open_round(db, clock, 6, order="shuffled")
    orders = []
    for chat in two:
        (ballot,) = chat.inbox()
        shown = listed(ballot)
        assert sorted(shown) == [1, 2, 3, 4, 5, 6]
        assert listed(chat.reply("OPTIONS")) == shown == listed(chat.reply("OPTIONS"))  # asked again
        orders.append(shown)
    assert orders[0] != orders[1]


def test_a_number_is_the_option_s_number_wherever_it_is_listed(two, db, clock):
    open_round(db, clock, 6, order="shuffled")
    ann, _ = two
    (ballot,) = ann.inbox()
    first = listed(ballot)[0]
    assert f"your vote is in: {first} idea number {first} " in ann.reply(str(first))
    with db.transaction() as session:
        assert session.scalars(select(Ballot.choices)).one() == [first]


def test_rotations_put_each_option_first_for_an_equal_share_of_members():
    round_ = Round(ballot_order_seed="00112233445566778899aabbccddeeff")
    round_.options = [RoundOption(number=n, title=f"o{n}", cost_pence=100) for n in range(1, 7)]
    rotations = [rotation_of(round_, resident_id) for resident_id in range(101, 107)]
    assert sorted(rotations) == [0, 1, 2, 3, 4, 5]  # six members in a row: six rotations
    firsts = [in_order(round_, r)[0].number for r in rotations]
    assert sorted(firsts) == [1, 2, 3, 4, 5, 6]
    assert rotation_of(round_, 101) == rotation_of(round_, 107)  # the same resident, the same order
    # Another round, another random order.
    other = Round(ballot_order_seed="ffeeddccbbaa99887766554433221100")
    other.options = round_.options
    assert [o.number for o in in_order(other, 0)] != [o.number for o in in_order(round_, 0)]


def test_a_round_made_in_number_order_lists_in_number_order(two, db, clock, cp):
    open_round(db, clock, 6, order="numbered")
    for chat in two:
        (ballot,) = chat.inbox()
        assert listed(ballot) == [1, 2, 3, 4, 5, 6] == listed(chat.reply("OPTIONS"))
    assert '"order": "numbered"' in cp("round", "show", "--community", "riverside", "1", "--json").output


def test_telegram_buttons_come_in_the_resident_s_order(tg_user, community, db, clock, cp):
    tg_user.send("/start RIVERSIDE")
    tg_user.press("YES")
    open_round(db, clock, 6, order="shuffled")
    (ballot,) = tg_user.receive()

    def order() -> list[int]:
        rows = tg_user.keyboard()["inline_keyboard"]
        return [int(m[1]) for row in rows if (m := re.match(r"TOGGLE (\d+) @", row[0]["callback_data"]))]

    on_ballot = order()
    assert sorted(on_ballot) == [1, 2, 3, 4, 5, 6] and on_ballot == listed(ballot)
    with db.transaction() as session:
        round_ = session.scalars(select(Round)).one()
        expected = [o.number for o in in_order(round_, rotation_of(round_, 1))]
    assert on_ballot == expected
    tg_user.send("OPTIONS")
    assert order() == on_ballot
    assert '"order": "shuffled"' in cp("round", "show", "--community", "riverside", "1", "--json").output


def _papers(client) -> list[list[int]]:
    page = client.get("/dashboard/riverside/rounds/1/papers").get_data(as_text=True)
    sheets = page.split('<section class="paper"')[1:]
    return [
        [int(n) for n in re.findall(r'<tr class="paper-option"><td>(\d+)</td>', sheet)] for sheet in sheets
    ]


def test_paper_ballots_are_printed_in_rotated_orders(db, clock, client, app, community):
    """One sheet per rotation: on paper as on the phone, no option always comes first."""
    from tests.dashboard_helpers import make_organiser, sign_in

    open_round(db, clock, 4, order="shuffled")
    make_organiser(app, clock)
    sign_in(client)
    sheets = _papers(client)
    assert len(sheets) == 4 and all(sorted(sheet) == [1, 2, 3, 4] for sheet in sheets)
    assert sorted(sheet[0] for sheet in sheets) == [1, 2, 3, 4]  # each option first on one sheet
    first = sheets[0]
    assert all(sheet == first[i:] + first[:i] for i, sheet in enumerate(sheets))  # turns of one order
    assert "Ballot papers to print" in client.get("/dashboard/riverside/rounds/1").get_data(as_text=True)


def test_a_round_in_number_order_prints_one_sheet_in_number_order(db, clock, client, app, community):
    from tests.dashboard_helpers import make_organiser, sign_in

    open_round(db, clock, 3)
    make_organiser(app, clock)
    sign_in(client)
    assert _papers(client) == [[1, 2, 3]]
