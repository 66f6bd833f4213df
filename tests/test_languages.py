"""Residents take part in the language they read best: Welsh and Polish beside English.

Replies are compared with the catalogue rendered in the expected language, so copy edits and
translation fixes do not break these tests; what they check is which language, which message,
and that money and times are written the way that language writes them."""

import pytest
from sqlalchemy import select

from bot.text.catalogue import render
from bot.text.money import money_in
from bot.text.times import spoken_in
from models import Community, Idea, Resident, Round
from tests.conftest import park_round

THREE = ["en", "cy", "pl"]


@pytest.fixture
def community(make_community):
    return make_community(languages=THREE)


def language_of(db):
    with db.transaction() as session:
        return session.scalars(select(Resident)).one().language


def test_a_member_asks_for_the_languages_and_picks_polish(member, db):
    menu = member.reply("LANGUAGE")
    assert menu == render("language_menu", "en", choices="English, Cymraeg, Polski")
    assert member.reply("JĘZYK polski") == render("language_set", "pl")
    assert language_of(db) == "pl"
    # From now on every answer is in Polish, money in the Polish form.
    budget = member.reply("BUDŻET")
    assert budget == render(
        "budget",
        "pl",
        community="Riverside Big Local",
        total="1 150 000 £",
        committed="0 £",
        spent="0 £",
        remaining="1 150 000 £",
    )
    assert member.reply("HELP") == render("help", "pl", community="Riverside Big Local")


def test_a_language_by_its_name_alone_or_its_place_in_the_list(member, db):
    assert member.reply("Cymraeg") == render("language_set", "cy")
    assert member.reply("IAITH 3") == render("language_set", "pl")
    assert member.reply("english") == render("language_set", "en")
    assert language_of(db) == "en"


def test_an_unknown_language_is_explained_and_changes_nothing(member, db):
    assert member.reply("LANGUAGE klingon") == render(
        "language_unknown", "en", choices="English, Cymraeg, Polski"
    )
    assert language_of(db) is None


def test_welsh_keywords_work_in_a_welsh_speaking_community(member, db):
    member.reply("IAITH CY")
    saved = member.say("SYNIAD meinciau newydd ar y maes chwarae")
    assert saved == [render("idea_ask_cost", "cy")]
    assert member.reply("dim syniad") == render("idea_saved_no_cost", "cy", number=1)
    with db.transaction() as session:
        assert session.scalars(select(Idea.text)).one() == "meinciau newydd ar y maes chwarae"
    assert member.reply("FY SYNIADAU").startswith(render("my_ideas", "cy", lines="")[:8])


def test_polish_keywords_with_or_without_diacritics(member):
    member.reply("JĘZYK PL")
    assert member.reply("usun") == render("delete_confirm", "pl")
    assert member.reply("NIE") == render("delete_cancelled", "pl")
    assert member.reply("POMYSŁ ławki w parku") == render("idea_ask_cost", "pl")
    assert member.reply("nie wiem") == render("idea_saved_no_cost", "pl", number=1)


def test_english_commands_keep_working_whatever_the_language(member):
    member.reply("JĘZYK PL")
    assert member.reply("BUDGET").startswith(
        render(
            "budget", "pl", community="Riverside Big Local", total="", committed="", spent="", remaining=""
        )[:10]
    )
    assert member.reply("STOP") == render("stopped", "pl", community="Riverside Big Local")
    assert member.reply("START") == render("rejoined", "pl", community="Riverside Big Local")


def test_a_newcomer_is_told_in_each_language_how_to_switch_to_it(chat):
    welcome, offer = chat.say("hello")
    assert welcome == render("welcome", "en", community="Riverside Big Local")
    assert offer == f"{render('language_offer', 'cy')} {render('language_offer', 'pl')}"


def test_a_newcomer_picks_a_language_before_joining(chat, db):
    chat.say("hello")
    assert chat.reply("polski") == render("welcome", "pl", community="Riverside Big Local")
    assert chat.reply("TAK") == render("joined", "pl")
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        assert (resident.status, resident.language) == ("active", "pl")


def test_words_of_languages_a_community_does_not_offer_are_not_commands(make_community, new_chat):
    make_community(slug="eastfield", name="Eastfield", join_code="EASTFIELD", sms_number="+441632960002")
    chat = new_chat("eastfield")
    chat.say("hello")
    chat.reply("YES")
    assert chat.reply("POMOC") == render("fallback", "en")
    assert chat.reply("IAITH") == render(
        "language_only", "en", community="Eastfield", language_name="English"
    )


def test_ballots_and_reminders_carry_the_languages_own_dates_with_minutes(member, cp, db):
    member.reply("IAITH CY")
    park_round(cp, "riverside", member.say)
    assert (
        cp("round", "reschedule", "--community", "riverside", "1", "--closes", "2026-11-30 17:24").exit_code
        == 0
    )
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    ballot = "\n".join(member.inbox())
    with db.transaction() as session:
        round_ = session.scalars(select(Round)).one()
        closes = spoken_in(round_.closes_at, "Europe/London", "cy")
    assert "17:24" in closes
    assert closes in ballot


def test_a_round_closing_at_1724_says_524pm_in_english(member, cp, db):
    park_round(cp, "riverside", member.say)
    assert (
        cp("round", "reschedule", "--community", "riverside", "1", "--closes", "2026-11-30 17:24").exit_code
        == 0
    )
    assert cp("round", "open", "--community", "riverside", "1").exit_code == 0
    assert "5:24pm Mon 30 Nov" in "\n".join(member.inbox())


@pytest.mark.parametrize(
    "language, written",
    [
        ("en", "£1,150,000"),
        ("cy", "£1,150,000"),
        ("pl", "1 150 000 £"),
    ],
)
def test_money_in_each_languages_form(language, written):
    assert money_in(1_150_000_00, language) == written


def test_community_languages_are_set_from_the_cli(cp, community, db):
    result = cp("community", "languages", "--community", "riverside", "cy", "en")
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        assert session.scalars(select(Community)).one().languages == ["cy", "en"]


@pytest.mark.parametrize(
    "args, says",
    [
        (["xx"], "no translation for xx"),
        (["en", "en"], "give each language once"),
    ],
)
def test_a_bad_language_list_is_one_line_and_changes_nothing(cp, community, db, args, says):
    result = cp("community", "languages", "--community", "riverside", *args)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    with db.transaction() as session:
        assert session.scalars(select(Community)).one().languages == THREE


def test_a_new_community_may_start_with_welsh_as_its_default(cp, db):
    result = cp(
        "community",
        "create",
        "--name",
        "Aberdyfi",
        "--slug",
        "aberdyfi",
        "--budget",
        "£10k",
        "--join-code",
        "ABERDYFI",
        "--language",
        "cy",
        "--language",
        "en",
    )
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        community = session.scalars(select(Community).where(Community.slug == "aberdyfi")).one()
        assert community.languages == ["cy", "en"]


def test_when_a_community_stops_offering_a_language_its_readers_are_told_once(member, cp, db):
    member.reply("IAITH CY")
    assert cp("community", "languages", "--community", "riverside", "en", "pl").exit_code == 0
    # Their next message, in Welsh, is still understood; they are told, in Welsh, that the
    # community writes in English now, and answered in English.
    told, budget = member.say("CYLLIDEB")
    assert told == render("language_withdrawn", "cy", language_name="English")
    assert budget.startswith("Riverside Big Local budget")
    assert language_of(db) is None  # the community's default from now on
    assert member.reply("BUDGET").startswith("Riverside Big Local budget")  # told once
    update = cp(
        "budget", "update", "--community", "riverside", "--text", "The garden opened.", "--broadcast", "--yes"
    )
    assert update.exit_code == 0, update.output
    assert member.inbox() == [
        render("budget_news", "en", community="Riverside Big Local", update="The garden opened.")
    ]


def test_a_broadcast_reaches_each_member_in_their_own_language(member, new_chat, cp):
    other = new_chat()
    other.say("hello")
    other.say("YES")
    other.reply("JĘZYK PL")
    assert (
        cp(
            "budget", "update", "--community", "riverside", "--text", "Ogród otwarty.", "--broadcast", "--yes"
        ).exit_code
        == 0
    )
    assert member.inbox() == [
        render("budget_news", "en", community="Riverside Big Local", update="Ogród otwarty.")
    ]
    assert other.inbox() == [
        render("budget_news", "pl", community="Riverside Big Local", update="Ogród otwarty.")
    ]
