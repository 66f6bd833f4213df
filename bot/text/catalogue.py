"""Every text a resident can receive, in one place, ready for translation.

Texts are gettext messages (English is the source language; `pybabel extract`
collects them into bot/text/locale/messages.pot, and bot/text/locale/<lang>/LC_MESSAGES
holds each translation's .po, compiled to .mo when the package is built or installed).
Each entry declares how many SMS segments it may take in English; a translation whose
letters force UCS-2 may take up to three (`Entry.budget`). Placeholders have a maximum
length, and free text from residents is shortened until the message fits. Money and
times are passed as `Money` and `Moment` and written in the reader's language. Texts
that count something ("3 options") have a plural form too, chosen by gettext's plural
rules for the language (PLURALS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, SupportsIndex, SupportsInt

from channels.segments import count_segments, is_gsm7, to_gsm7

if TYPE_CHECKING:
    from babel.support import NullTranslations

LOCALE_DIR = Path(__file__).parent / "locale"
ELLIPSIS = "..."  # GSM-7 safe, unlike the single-character ellipsis
UCS2_MOST_SEGMENTS = 3  # the most a translated text in UCS-2 may cost (English budgets above 3 stay)


def N_(text: str) -> str:
    """Mark a text for extraction; translated when rendered."""
    return text


@dataclass(frozen=True)
class Entry:
    text: str  # with a plural form, the singular ("{count} option")
    segments: int = 1  # the most SMS segments this message may cost
    plural: str | None = None  # "{count} options": ngettext picks one by the number in `counted`
    counted: str = "count"  # the placeholder holding that number
    spoken: bool = False  # said on the phone line, never sent: it costs no segments (SPOKEN)

    def template(self, language: str, values: Mapping[str, object]) -> str:
        """The text in `language`, in the form that suits the number in `values[counted]`."""
        translated = translations(language)
        if self.plural is None:
            return translated.gettext(self.text)
        return translated.ngettext(self.text, self.plural, _how_many(values.get(self.counted)))

    def budget(self, template: str) -> int:
        """Segments this text may take: its English budget, or, where a translation's letters
        force UCS-2 (70 characters a segment, not 160), up to three."""
        if is_gsm7(template):
            return self.segments
        return max(self.segments, UCS2_MOST_SEGMENTS)


def ngettext(singular: str, plural: str, segments: int = 1, counted: str = "count") -> Entry:
    """An entry with a plural form. Named so that `pybabel extract` (whose default keywords
    include ngettext:1,2) writes both forms into messages.pot as one plural message."""
    return Entry(singular, segments, plural, counted)


# The longest each placeholder may be once rendered; text beyond it is cut.
PLACEHOLDER_MAX = {
    "community": 40,
    "number": 10,
    "cost": 14,
    "total": 14,
    "committed": 14,
    "spent": 14,
    "remaining": 14,
    "date": 16,
    "areas": 40,
    "length": 5,
    "limit": 5,
    "update": 140,
    "announcement": 250,  # an organiser's news that is not about the money
    "lines": 900,
    "title": 40,
    "how": 80,
    "closes": 20,
    "count": 3,
    "k": 3,
    "budget": 14,
    "choices": 200,
    "result": 300,
    "winners": 200,
    "allocated": 14,
    "reason": 150,
    "into": 6,
    "amount": 14,
    "option": 6,
    "left": 14,
    "votes": 7,
    "language_name": 20,
    "status": 60,
    "numbers": 60,
    "page": 3,
    "pages": 3,
    "next": 3,
    "most": 14,
    "reply": 480,
    "channel": 10,
    "receipt": 9,  # K7QM-2XPD
    "service": 40,  # a council service's name, as organisers listed it
    "days": 5,
    "contact": 60,  # an email address: never cut (MY DATA leaves a longer one out)
    # A web address is never cut (half a link leads nowhere): a longer one is left out.
    "link": 60,
}
# Placeholders holding residents' or organisers' own words: shortened further to fit.
FREE_TEXT = (
    "update",
    "announcement",
    "lines",
    "choices",
    "winners",
    "result",
    "reason",
    "title",
    "community",
    "numbers",
    "reply",
    "service",
)

CATALOGUE: dict[str, Entry] = {
    "welcome": Entry(
        N_(
            "Hi! This is {community}. Residents use this number to share ideas and vote on how "
            "our community budget is spent. Reply YES to join: we keep your number only to send "
            "you polls and news. Reply STOP at any time to stop."
        ),
        2,
    ),
    # The same on Telegram, where there is no number: the account's ID is what we keep.
    "welcome_telegram": Entry(
        N_(
            "Hi! This is {community}. Residents use this bot to share ideas and vote on how "
            "our community budget is spent. Reply YES to join: we keep your Telegram account ID only "
            "to send you polls and news. Reply STOP at any time to stop."
        ),
        2,
    ),
    "joined": Entry(
        N_(
            "Welcome, you're in! Send IDEA and your idea (e.g. IDEA more benches on the green), "
            "BUDGET to see the money, or HELP for the menu."
        )
    ),
    "ask_postcode": Entry(
        N_(
            "Thanks! {community} is for people who live in the area. What is your postcode? "
            "We only keep the first part."
        )
    ),
    "postcode_invalid": Entry(
        N_("Sorry, that doesn't look like a UK postcode. Please send it like E1 6AN, or STOP to stop.")
    ),
    "postcode_full_needed": Entry(
        N_("Thanks. Please send your full postcode, like E1 6AN, so we can check it is in the area.")
    ),
    "postcode_refused": Entry(
        N_(
            "Sorry, {community} is only for residents of {areas}. If that was a typo, send "
            "your postcode again."
        ),
        2,
    ),
    "help": Entry(
        N_(
            "{community}: IDEA + your idea to suggest something. BUDGET for the money. "
            "MY IDEAS for your ideas. OPTIONS and RESULTS for votes. PROJECT for funded projects. "
            "LANGUAGE to change language. STOP to stop messages. MY DATA for what we hold, "
            "DELETE to erase it."
        ),
        2,
    ),
    "idea_ask_text": Entry(N_("What's your idea? Send it in one message (up to {limit} characters).")),
    "idea_too_long": Entry(
        N_("Sorry, that's {length} characters; please keep an idea under {limit}. Send it again, shorter.")
    ),
    "idea_ask_cost": Entry(
        N_(
            "Great idea! Roughly how much would it cost? Reply with an amount like 500 or £2k, "
            "or SKIP if you don't know."
        )
    ),
    "idea_cost_invalid": Entry(
        N_(
            "Sorry, I couldn't read that as an amount. Reply like 500, £2k or 2,500, "
            "or SKIP if you don't know."
        )
    ),
    "idea_cost_too_large": Entry(
        N_(
            "That's more than {most}, the most a cost can be here. Reply with a rough cost like "
            "500 or £2k, or SKIP if you don't know."
        )
    ),
    "idea_saved": Entry(
        N_(
            "Thanks! Your idea is saved as #{number} with a rough cost of {cost}. Organisers "
            "will review it and let you know. Send MY IDEAS to see your ideas."
        )
    ),
    "idea_saved_no_cost": Entry(
        N_(
            "Thanks! Your idea is saved as #{number}. Organisers will review it, work out a "
            "cost and let you know. Send MY IDEAS to see your ideas."
        )
    ),
    "my_ideas": Entry(N_("Your ideas:\n{lines}"), 2),
    "my_ideas_more": Entry(N_("({count} older: send MY IDEAS {next})")),
    "my_ideas_none": Entry(
        N_("You haven't given any ideas yet. Send IDEA and your idea, e.g. IDEA more benches on the green.")
    ),
    "budget": Entry(
        N_(
            "{community} budget: {total}. Committed to projects: {committed}. "
            "Spent so far: {spent}. Still to decide: {remaining}."
        ),
        2,
    ),
    "budget_with_update": Entry(
        N_(
            "{community} budget: {total}. Committed to projects: {committed}. "
            "Spent so far: {spent}. Still to decide: {remaining}. "
            "Latest news ({date}): {update}"
        ),
        3,
    ),
    "stopped": Entry(N_("You won't get any more messages from {community}. Reply START to rejoin.")),
    "rejoined": Entry(
        N_("Welcome back! You'll get messages from {community} again. Send HELP for the menu.")
    ),
    "already_member": Entry(N_("You're already in! Send HELP for the menu.")),
    "delete_confirm": Entry(
        N_(
            "This erases your phone number and messages. Your ideas stay, without your name. "
            "Reply DELETE again to confirm, or NO to keep your data."
        )
    ),
    "delete_done": Entry(
        N_("Done: your data is erased and you won't hear from us again. Text us any time to start afresh.")
    ),
    # MY DATA (the right of access): what we hold and for how long, and how to get a copy.
    "my_data": Entry(
        N_(
            "We keep how to reach you, your language, ideas and votes, when you joined or "
            "stopped, and our messages both ways (for {days} days). For a copy of it all, email "
            "{contact}. Reply DELETE to erase it."
        ),
        2,
    ),
    # The same where the community gave no contact: a message we cannot place reaches the inbox.
    "my_data_ask": Entry(
        N_(
            "We keep how to reach you, your language, ideas and votes, when you joined or "
            "stopped, and our messages both ways (for {days} days). For a copy of it all, reply "
            "asking for one: our organisers will send it. Reply DELETE to erase it."
        ),
        2,
    ),
    # After the welcome and MY DATA, where the site has a public address: the privacy notice.
    "privacy_link": Entry(N_("How we use your data, and your rights: {link}")),
    "delete_cancelled": Entry(N_("OK, nothing was deleted. Send HELP for the menu.")),
    "slow_down": Entry(
        N_(
            "You're sending messages faster than we can answer, so we'll skip a few. Please "
            "wait a minute, then send it again. STOP and DELETE always work."
        )
    ),
    # A message with nothing in it (an empty SMS, a picture alone).
    "not_understood": Entry(
        N_("Sorry, I didn't understand that. Send IDEA and your idea, BUDGET, MY IDEAS or HELP.")
    ),
    # What the bot cannot place goes to the organisers' inbox (bot.domain.inbox).
    "fallback": Entry(
        N_(
            "Thanks, we've passed this to the organisers, who can reply here. To take part, send "
            "IDEA and your idea, BUDGET, MY IDEAS or HELP."
        )
    ),
    # How to vote depends on the round (one number, several, within a budget): OPTIONS says.
    "fallback_voting": Entry(
        N_(
            "Thanks, we've passed this to the organisers. Voting is open on {title}: send OPTIONS "
            "to see the options and how to vote."
        )
    ),
    # An organiser's answer to a message in the inbox, in their own words.
    "inbox_reply": Entry(N_("{community}: {reply}"), 4),
    "telegram_ask_code": Entry(
        N_(
            "Hi! This bot lets residents decide how their community budget is spent. Send your "
            "community's join code to take part (your organisers can tell you what it is)."
        )
    ),
    "telegram_unknown_code": Entry(
        N_("Sorry, no community has that join code. Check it with your organisers and send it again.")
    ),
    "ask_contact": Entry(
        N_(
            "Thanks! {community} is one person, one vote: please tap the button below to share "
            "your phone number. We only use it to check you are not signed up twice."
        )
    ),
    "contact_not_own": Entry(
        N_("That is someone else's number. Please share your own, with the button below.")
    ),
    "round_open": Entry(N_("Vote now! {title}\n{lines}\n{how} Voting closes {closes}."), 3),
    "options": Entry(N_("{title}\n{lines}\n{how}"), 6),
    # A round with more options than one OPTIONS message holds, a page at a time.
    "options_page": Entry(
        N_("{title} ({page}/{pages})\n{lines}\n{how} More options: send OPTIONS {next}."), 6
    ),
    "options_last_page": Entry(N_("{title} ({page}/{pages})\n{lines}\n{how}"), 6),
    "how_choose_one": Entry(N_("Reply with the number of your choice, e.g. 2.")),
    "how_approval": Entry(N_("Reply with the numbers of all you support, e.g. 1 3.")),
    "how_budget": Entry(N_("Choose options costing {budget} or less in all, e.g. 1 3.")),
    # The receipt is the voter's id in the ballot file published when the round closes.
    "vote_recorded": Entry(
        N_(
            "Thanks, your vote is in: {choices}. Your receipt is {receipt}: keep it to check your "
            "vote after the count. You can change it until {closes}."
        ),
        2,
    ),
    "vote_selection": Entry(N_("Selected: {choices}. Tap more options, then Submit."), 2),
    "vote_stale_button": Entry(
        N_("That button is from an earlier vote, so nothing was changed. Here is the vote open now.")
    ),
    "vote_selection_empty": Entry(N_("Nothing selected yet. Tap the options you want, then Submit.")),
    "vote_no_round": Entry(N_("There is no vote open right now. We'll message you when the next one opens.")),
    "vote_closed": Entry(N_("Voting has closed. {result}"), 3),
    "vote_closed_counting": Entry(
        N_("Voting on {title} closed at {closes}. We're counting the votes and will message you the results.")
    ),
    "vote_unknown_option": Entry(
        N_("There is no option {number}. The options are 1 to {count}: send OPTIONS to see them.")
    ),
    "vote_choose_one": Entry(N_("Please choose just one option, e.g. 2. Send OPTIONS to see them.")),
    "vote_over_budget": Entry(
        N_("Those cost {total} in all, more than the {budget} to spend. Please choose again.")
    ),
    "reminder": Entry(
        N_(
            "Reminder: voting on {title} closes {closes}. Send OPTIONS to see the options, "
            "then reply with your choice."
        )
    ),
    "result": Entry(N_("{title} results: funded {winners}, {allocated} in all. Thank you for voting!"), 3),
    "result_none": Entry(N_("{title}: voting has closed, and nothing was funded this time.")),
    # The same, once the ballots are published (with the public address configured).
    "result_check": Entry(
        N_(
            "{title} results: funded {winners}, {allocated} in all. Thank you for voting! "
            "Check every ballot at {link}"
        ),
        3,
    ),
    "result_none_check": Entry(
        N_("{title}: voting has closed, and nothing was funded this time. Check every ballot at {link}"),
        2,
    ),
    "results_none_yet": Entry(
        N_("No vote has been counted yet. We'll message you the results when one closes.")
    ),
    "round_cancelled": Entry(
        N_("The vote on {title} has been cancelled. We'll message you when there is another.")
    ),
    "idea_shortlisted": Entry(
        N_("Good news: your idea #{number} is shortlisted for a vote, at a cost of {cost}.")
    ),
    "idea_shortlisted_again": Entry(
        N_("Good news: your idea #{number} is back on the shortlist for a vote, at a cost of {cost}.")
    ),
    "idea_rejected": Entry(
        N_("Your idea #{number} was not taken forward: {reason} Thank you for sharing it."), 2
    ),
    "idea_merged": Entry(
        N_("Your idea #{number} was joined with a similar idea, #{into}, and you are credited for it.")
    ),
    "idea_funded": Entry(
        N_("Great news: your idea #{number}, option {option} in the vote, won and is funded with {amount}!")
    ),
    "idea_not_funded_no_votes": Entry(
        N_(
            "Your idea #{number}, option {option}, was not funded this time: nobody voted for it. "
            "Thank you for sharing it."
        )
    ),
    "why_no_votes": Entry(N_("no votes")),
    "idea_not_funded": Entry(
        N_(
            "Your idea #{number}, option {option} in the vote, was not funded this time. Thank you "
            "for taking part."
        )
    ),
    "budget_news": Entry(N_("{community} budget news: {update} Send BUDGET for the figures."), 2),
    # An organiser's announcement, in their own words (not translated): "meets Tuesday 7pm...".
    "announcement": Entry(N_("{community} news: {announcement}"), 2),
    "language_menu": Entry(N_("Which language would you like? Reply with one of: {choices}")),
    "language_unknown": Entry(N_("Sorry, we don't have that language here. Reply with one of: {choices}")),
    "language_set": Entry(N_("OK, we'll write to you in English from now on. Send LANGUAGE to change it.")),
    # Said in its own language, after the welcome, for each other language a community offers.
    "language_offer": Entry(N_("In English? Send ENGLISH.")),
    "language_only": Entry(N_("{community} writes in {language_name} only for now.")),
    # In the language the resident chose, once, when their community no longer offers it.
    "language_withdrawn": Entry(
        N_(
            "We no longer write here in English, the language you chose: from now on we'll write "
            "in {language_name}. Send LANGUAGE to see the choices."
        ),
        2,
    ),
    "project": Entry(N_("Project {number}, {title}: {status} Latest news ({date}): {update}"), 2),
    "project_no_news": Entry(N_("Project {number}, {title}: {status}")),
    "project_ask": Entry(
        N_("Which project? Funded projects: {numbers}. Reply PROJECT and its number, e.g. PROJECT {number}.")
    ),
    "project_unknown": Entry(
        N_("There is no project {number}. Funded projects: {numbers}. Reply PROJECT and its number.")
    ),
    "project_none": Entry(N_("Nothing has been funded yet. We'll message you when a vote is counted.")),
    "project_delivered": Entry(
        N_("Good news: project {number}, {title}, which you voted for, is delivered! {update}"), 2
    ),
    # An idea referred to a council service, and each answer the service gives.
    "referral_sent": Entry(
        N_(
            "Your idea #{number} is a job for the council, so we passed it to {service} there. "
            "We will tell you what they answer."
        )
    ),
    "referral_will_do": Entry(N_("{service} at the council say they will do your idea #{number} by {date}.")),
    "referral_scheduled": Entry(
        N_("{service} at the council have scheduled your idea #{number} for {date}.")
    ),
    "referral_done": Entry(N_("{service} at the council say your idea #{number} has already been done.")),
    "referral_declined": Entry(
        N_("{service} at the council say they will not take on your idea #{number}: {reason}"), 2
    ),
    "project_status_funded": Entry(N_("funded, work not started yet.")),
    "project_status_in_progress": Entry(N_("in progress.")),
    "project_status_delivered": Entry(N_("delivered!")),
    "project_status_cancelled": Entry(N_("cancelled.")),
    # Telegram buttons: short labels, sent with a message and never alone.
    "button_submit": Entry(N_("Submit my vote")),
    "button_more": Entry(N_("More options")),
    # After as many chosen options as a message holds: "1 benches, 2 a mural and 7 more".
    "and_more": Entry(N_("and {count} more")),
    "button_join": Entry(N_("Yes, join")),
    "button_no_thanks": Entry(N_("No thanks")),
    "button_share_phone": Entry(N_("Share my phone number")),
    "button_delete": Entry(N_("Yes, delete")),
    "button_keep": Entry(N_("No, keep")),
    # CHANNEL: which way the messages we start reach a resident ({channel}: SMS, WhatsApp...).
    "channel_menu": Entry(
        N_("Our messages come to you by {channel}. To choose another way, send CHANNEL and one of: {choices}")
    ),
    "channel_set": Entry(
        N_("OK, our messages will come to you by {channel} from now on. Send CHANNEL to change it.")
    ),
    "channel_unknown": Entry(N_("Sorry, we can't write to you that way. Send CHANNEL and one of: {choices}")),
    # WhatsApp templates: suggested bodies organisers register with Twilio (each placeholder
    # becomes {{1}}, {{2}}... in their order in bot/domain/whatsapp.py), sent outside WhatsApp's
    # 24-hour window. Each starts and ends with words, as Meta approves more readily.
    "whatsapp_ballot": Entry(
        N_(
            "Vote now! {community}: {title}, open until {closes}. Send OPTIONS to see the "
            "options, then reply with your choice."
        ),
        2,
    ),
    "whatsapp_reminder": Entry(
        N_(
            "Reminder from {community}: voting on {title} closes {closes}. Send OPTIONS to see "
            "the options, then reply with your choice."
        ),
        2,
    ),
    "whatsapp_result": Entry(
        N_(
            "Results from {community}: voting on {title} has closed. Funded: {winners}. Send "
            "RESULTS for more."
        ),
        3,
    ),
    "whatsapp_budget_news": Entry(
        N_("Budget news from {community}: {update} Send BUDGET for the figures."), 2
    ),
    "whatsapp_announcement": Entry(N_("News from {community}: {announcement}"), 2),
    "whatsapp_project_news": Entry(
        N_(
            "Project news from {community}: project {number}, {title}, is delivered! {update} "
            "Send PROJECT {number} for more."
        ),
        3,
    ),
    "status_submitted": Entry(N_("waiting for review")),
    "status_shortlisted": Entry(N_("shortlisted")),
    "status_rejected": Entry(N_("not taken forward")),
    "status_merged": Entry(N_("merged with a similar idea")),
    "status_in_round": Entry(N_("in a vote now")),
    "status_funded": Entry(N_("funded")),
    "status_not_funded": Entry(N_("not funded this time")),
    "status_referred": Entry(N_("passed to the council")),
}

# Kept apart from CATALOGUE, whose checks (tests/test_catalogue.py) read one text per entry;
# tests/test_round_numbers.py checks these the same way, in both forms.
PLURALS: dict[str, Entry] = {
    "round_open_short": ngettext(
        "Vote now! {title}: {count} option. Send OPTIONS to see it, then reply with your "
        "choice. Voting closes {closes}.",
        "Vote now! {title}: {count} options. Send OPTIONS to see them, then reply with your "
        "choice. Voting closes {closes}.",
    ),
    "how_approval_k": ngettext(
        "Reply with up to {k} number, e.g. 2.", "Reply with up to {k} numbers, e.g. 1 3.", counted="k"
    ),
    "vote_too_many": ngettext(
        "Please choose at most {k} option. Send OPTIONS to see them.",
        "Please choose at most {k} options. Send OPTIONS to see them.",
        counted="k",
    ),
    # Why an idea was not funded, from the rule's own figures (bot/domain/explain.py).
    "idea_not_funded_greedy": ngettext(
        "Your idea #{number}, option {option}, was not funded this time: it had {votes} vote, "
        "and after the ideas with more votes were funded, {left} was left and it needed {cost}.",
        "Your idea #{number}, option {option}, was not funded this time: it had {votes} votes, "
        "and after the ideas with more votes were funded, {left} was left and it needed {cost}.",
        2,
        counted="votes",
    ),
    "idea_not_funded_shares": ngettext(
        "Your idea #{number}, option {option}, was not funded this time: its {votes} supporter "
        "had {left} left when it came up, and it needed {cost}.",
        "Your idea #{number}, option {option}, was not funded this time: its {votes} supporters "
        "had {left} left between them when it came up, and it needed {cost}.",
        2,
        counted="votes",
    ),
    # Equal shares, when the round itself no longer had the cost (whatever the supporters' shares).
    "idea_not_funded_round": ngettext(
        "Your idea #{number}, option {option}, was not funded this time: it had {votes} vote, "
        "and after the ideas chosen before it were funded, {left} was left and it needed {cost}.",
        "Your idea #{number}, option {option}, was not funded this time: it had {votes} votes, "
        "and after the ideas chosen before it were funded, {left} was left and it needed {cost}.",
        2,
        counted="votes",
    ),
    "why_greedy": ngettext(
        "{votes} vote, {left} left, needed {cost}",
        "{votes} votes, {left} left, needed {cost}",
        counted="votes",
    ),
    "why_shares": ngettext(
        "{votes} supporter with {left} left, needed {cost}",
        "{votes} supporters with {left} left, needed {cost}",
        counted="votes",
    ),
}


# Said on the phone line (TwiML <Say>, in the caller's language), never sent as a message: no
# SMS segments to count, so no segment budget and nothing shortened to fit one. Keys pressed are
# named as the caller hears them ("press 1", "press hash").
SPOKEN: dict[str, Entry] = {
    key: Entry(text, segments=0, spoken=True)
    for key, text in {
        "call_language_offer": N_("For English, press {number}."),
        "call_welcome": N_(
            "Welcome to {community}. Residents call this line to hear how our community budget "
            "is spent, to vote, and to leave ideas."
        ),
        "call_consent": N_(
            "To join, press 1. We keep your phone number only to send you polls and news by "
            "text message. To stop all messages from us, press 9."
        ),
        "call_rejoin": N_(
            "You asked us to stop all messages. To start them again and use this line, press 1. "
            "Otherwise, please hang up."
        ),
        "call_joined": N_("Thank you, you have joined."),
        "call_postcode_by_text": N_(
            "Before you can vote or leave an idea, please text your postcode to this number."
        ),
        "call_menu_budget": N_("To hear the budget and what has been spent, press 1."),
        "call_menu_options": N_("To hear the options in the vote open now, press 2."),
        "call_menu_vote": N_("To vote, press 3."),
        "call_menu_idea": N_("To leave an idea as a voice message, press 4."),
        "call_menu_stop": N_("To stop all messages from us, press 9."),
        "call_menu_again": N_("To hear this again, press star."),
        "call_not_a_choice": N_("Sorry, that is not one of the choices."),
        "call_budget": N_(
            "The {community} budget is {total}. Committed to projects: {committed}. Spent so "
            "far: {spent}. Still to decide: {remaining}."
        ),
        "call_budget_news": N_("Latest news, from {date}: {update}"),
        "call_no_round": N_("There is no vote open at the moment."),
        "call_round": N_("The vote now open is {title}. It closes {closes}."),
        "call_option": N_("Option {number}: {title}, {cost}."),
        "call_how_choose_one": N_("Choose one option."),
        "call_how_approval": N_("You may choose up to {k} options."),
        "call_how_approval_any": N_("You may choose as many options as you like."),
        "call_how_budget": N_("Choose options that cost {budget} or less in all."),
        "call_vote_again": N_("You have voted already: a new vote takes its place."),
        "call_vote_prompt": N_(
            "Key in the number of an option, then press hash. To finish, press hash on its own."
        ),
        "call_vote_prompt_one": N_("Key in the number of your option, then press hash."),
        "call_vote_added": N_("Option {number}, {title}, chosen."),
        "call_vote_removed": N_("Option {number}, {title}, taken off."),
        "call_vote_total": N_("Your options so far cost {total}, of {budget}."),
        "call_vote_unknown": N_("There is no option {number}. The options are numbered 1 to {count}."),
        "call_vote_too_many": N_(
            "You may choose up to {k} options. To take one off, key in its number again."
        ),
        "call_vote_over_budget": N_(
            "With option {number}, your options would cost {total}, over the budget of "
            "{budget}. It was not added."
        ),
        "call_vote_nothing": N_("You did not choose any options, so nothing has changed."),
        "call_option_short": N_("option {number}, {title}"),
        "call_confirm": N_("You chose: {choices}."),
        "call_confirm_keys": N_(
            "To confirm your vote, press 1. To start again, press 2. To go back to the menu "
            "without voting, press 0."
        ),
        "call_vote_recorded": N_(
            "Thank you, your vote is recorded. You can change it by phone or by text until "
            "the vote closes, {closes}."
        ),
        "call_vote_closed": N_("Sorry, the vote has closed. Your vote was not recorded."),
        "call_idea_prompt": N_(
            "After the tone, say your idea and roughly what it would cost. You have up to two "
            "minutes. Press hash when you have finished."
        ),
        "call_no_message": N_("We did not hear a message, so nothing was saved."),
        "call_idea_saved": N_("Thank you. Your idea, number {number}, will be heard by our organisers."),
        "call_stopped": N_(
            "You will not get any more messages from {community}. To start them again, text "
            "START to this number. Goodbye."
        ),
        "call_withheld": N_(
            "Sorry, we cannot take calls from a withheld number: your number is how we know "
            "you. Please call again without withholding it. Goodbye."
        ),
        "call_no_keys": N_("We did not hear a choice. Goodbye."),
    }.items()
}


def entry_for(key: str) -> Entry:
    if key in CATALOGUE:
        return CATALOGUE[key]
    return PLURALS[key] if key in PLURALS else SPOKEN[key]


def shipped_languages() -> list[str]:
    """English and every language with a translation in the package."""
    return ["en", *sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))]


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue for `language`; compiled from its .po in memory when no
    up-to-date .mo was built (a checkout used without installing)."""
    # Imported here, not at the top: a command that shows no resident's text never needs them.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if language == "en" or not po.exists():
        return NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with open(mo, "rb") as handle:
            return Translations(handle, domain="messages")
    with open(po, "rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def render(key: str, language: str = "en", **values: object) -> str:
    """The text for `key` in `language`, filled in and shortened to its segment budget."""
    entry = entry_for(key)
    template = entry.template(language, values)
    if entry.spoken:  # heard, not sent: whole, with nothing to fit
        return template.format(**{name: _written(value, language) for name, value in values.items()})
    budget = entry.budget(template)
    filled = {
        name: _cut(_written(value, language), PLACEHOLDER_MAX.get(name, 60)) for name, value in values.items()
    }
    text = template.format(**filled)
    if count_segments(text).segments > budget and is_gsm7(template):
        # One character outside GSM-7 makes the whole message UCS-2, at over twice the cost:
        # spell the values in GSM-7 rather than cut them to nothing.
        filled = {name: to_gsm7(value) for name, value in filled.items()}
        text = template.format(**filled)
    while count_segments(text).segments > budget:
        longest = max((n for n in FREE_TEXT if n in filled), key=lambda n: len(filled[n]), default=None)
        if longest is None or len(filled[longest]) <= len(ELLIPSIS) + 1:
            break
        filled[longest] = _cut(filled[longest], len(filled[longest]) - 10)
        text = template.format(**filled)
    return text


def filled(language: str = "en", **values: object) -> dict[str, str]:
    """`values` as a text would hold them: written in `language` and cut to each placeholder's
    most (a WhatsApp template's variables)."""
    return {
        name: _cut(_written(value, language), PLACEHOLDER_MAX.get(name, 60)) for name, value in values.items()
    }


def fits(key: str, language: str = "en", **values: object) -> bool:
    """Whether `key` fits its budget with every value whole (nothing shortened)."""
    entry = entry_for(key)
    template = entry.template(language, values)
    whole = {name: _written(value, language) for name, value in values.items()}
    return count_segments(template.format(**whole)).segments <= entry.budget(template)


def _written(value: object, language: str) -> str:
    """A value as the reader's language writes it: Money and Moment know how."""
    in_language = getattr(value, "in_language", None)
    return in_language(language) if in_language else str(value)


def _how_many(value: object) -> int:
    """The number a plural form is chosen by; anything else (a placeholder's test value) is
    taken as many, the longer form in English."""
    if not isinstance(value, str | bytes | SupportsInt | SupportsIndex):
        return 2
    try:
        return int(value)
    except (TypeError, ValueError):
        return 2


def _cut(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return value[: max(limit - len(ELLIPSIS), 1)].rstrip() + ELLIPSIS
