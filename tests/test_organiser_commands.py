"""What an organiser meets at the `commonpurse` command itself: its help and version, creating an
organiser with a password, counts in words, output piped into `head`, and texts sent to
residents by SMS shown (encoding, segments, cost) before they go."""

import os
import pty
import select
import shutil
import subprocess
import time
from importlib import metadata

import pytest

from bot.cli import cli, output
from bot.text import catalogue
from bot.text.catalogue import Entry
from tests.conftest import Chat

COMMONPURSE = shutil.which("commonpurse")
ORGANISER = ["organiser", "create", "--email", "sam@example.org", "--name", "Sam", "--community", "riverside"]


def _env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMONPURSE_", "FLASK_"))}
    env["COMMONPURSE_DATABASE_URL"] = database_url
    return env


def _run(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    assert COMMONPURSE, "the commonpurse script is not installed (pip install -e .)"
    return subprocess.run(
        [COMMONPURSE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(database_url),
        timeout=60,
        check=False,
    )


def _one_error_line(result, *words: str) -> None:
    """Exit code 2 and one line, `commonpurse: error: ...`, holding `words`."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("commonpurse: error: "), result.output
    assert all(word in lines[0] for word in words), lines[0]


# --- the command itself -----------------------------------------------------------------------


@pytest.mark.slow
def test_help_shows_only_common_purse(tmp_path):
    result = _run(f"sqlite:///{tmp_path / 'x.db'}", "--help")
    assert result.returncode == 0, result.stderr
    options, commands = result.stdout.split("Options:")[1].split("Commands:")
    assert [line.split()[0] for line in options.strip().splitlines()] == ["--version", "--help"]
    names = {line.split()[0] for line in commands.strip().splitlines()}
    assert names >= {
        "db",
        "community",
        "organiser",
        "token",
        "ideas",
        "round",
        "budget",
        "digest",
        "chat",
        "worker",
        "telegram",
        "scheduler",
        "serve",
    }
    assert not names & {"run", "shell", "routes"}
    assert "Flask" not in result.stdout


@pytest.mark.slow
def test_version_is_ours_alone(tmp_path):
    result = _run(f"sqlite:///{tmp_path / 'x.db'}", "--version")
    assert (result.returncode, result.stdout) == (0, f"commonpurse {metadata.version('commonpurse')}\n")


def test_flask_options_and_commands_are_gone(cp):
    for args in (
        ["--app", "elsewhere:app", "community", "list"],
        ["--debug", "community", "list"],
        ["run"],
        ["shell"],
        ["routes"],
    ):
        _one_error_line(cp(*args), "No such")


def test_the_command_alone_shows_the_help(cp):
    result = cp()
    assert result.exit_code == 0 and result.output.startswith("Usage: commonpurse")
    assert "Commands:" in result.output and "commonpurse: error" not in result.output


# --- organiser create and its password -----------------------------------------------------------


def test_a_password_piped_in_creates_the_organiser(runner, community):
    result = runner.invoke(cli, ORGANISER, input="a long pass phrase\n")
    assert (result.exit_code, result.output) == (0, "Organiser sam@example.org created for riverside.\n")
    assert "sam@example.org" in runner.invoke(cli, ["organiser", "list"]).output


def test_password_stdin_reads_one_line(runner, community):
    result = runner.invoke(cli, [*ORGANISER, "--password-stdin"], input="pass phrase, twelve+\r\nmore\n")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "stdin, words",
    [
        ("", ["the password is empty", "stdin"]),
        ("\n", ["the password is empty"]),
        ("short\n", ["at least 12 characters", "this one has 5"]),
        (" " * 14 + "\n", ["at least 12 characters", "not counting spaces", "this one has 0"]),
    ],
)
def test_an_empty_or_short_password_is_one_line_and_creates_nothing(runner, community, stdin, words):
    result = runner.invoke(cli, ORGANISER, input=stdin)
    _one_error_line(result, *words)
    assert "short" not in result.output  # a password is never shown
    assert runner.invoke(cli, ["organiser", "list"]).output.strip() == "(none)"


def test_password_and_password_stdin_together_are_refused(runner, community):
    _one_error_line(
        runner.invoke(cli, [*ORGANISER, "--password", "a long pass phrase", "--password-stdin"]), "not both"
    )


def test_help_offers_stdin_not_a_password_argument(cp):
    shown = cp("organiser", "create", "--help").output
    assert "--password-stdin" in shown and "--password " not in shown


@pytest.mark.slow
def test_at_a_terminal_the_password_is_asked_for_hidden_and_twice(database_url, community):
    """A real terminal (a pseudo-terminal): nothing typed is echoed, a short one is asked again."""
    main, child = pty.openpty()
    # A new session has no controlling terminal, so the prompt uses this one, not the tester's.
    process = subprocess.Popen(
        [COMMONPURSE, *ORGANISER],
        stdin=child,
        stdout=child,
        stderr=child,
        env=_env(database_url),
        start_new_session=True,
    )
    os.close(child)
    screen = _Screen(main)
    try:
        for prompt, typed in [
            ("Password: ", "short"),
            ("Password: ", "a long pass phrase"),
            ("Repeat for confirmation: ", "a long pass phrase"),
        ]:
            screen.expect(prompt)
            os.write(main, typed.encode() + b"\n")
        screen.expect("created for riverside")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    assert "at least 12 characters" in screen.text
    assert "short" not in screen.text and "pass phrase" not in screen.text


class _Screen:
    """What a pseudo-terminal showed, read up to each expected text in turn."""

    def __init__(self, fd: int):
        self.fd, self.text, self.seen = fd, "", 0

    def expect(self, wanted: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.text[self.seen :]:
            assert time.monotonic() < deadline, f"waited for {wanted!r}; saw {self.text!r}"
            if select.select([self.fd], [], [], 0.2)[0]:
                self.text += os.read(self.fd, 4096).decode(errors="replace")
        self.seen = self.text.index(wanted, self.seen) + len(wanted)


# --- counts in words ---------------------------------------------------------------------------------


def test_plural():
    assert [output.plural(n, "ballot") for n in (0, 1, 2)] == ["0 ballots", "1 ballot", "2 ballots"]
    assert output.plural(1, "entry", "entries") == "1 entry"
    assert output.plural(3, "entry", "entries") == "3 entries"


def test_a_broadcast_to_one_member_says_member(cp, member, new_chat):
    one = cp("budget", "update", "--community", "riverside", "--text", "News!", "--broadcast")
    assert "Sent to 1 member." in one.output and "1 member × 1 segment" in one.output
    other = new_chat()
    other.say("hi")
    other.say("YES")
    two = cp("budget", "update", "--community", "riverside", "--text", "More!", "--broadcast")
    assert "Sent to 2 members." in two.output and "2 members × 1 segment = up to 2 SMS segments" in two.output


# --- output piped into head -------------------------------------------------------------------------


def _into_a_closed_pipe(database_url: str, *args: str, stdin: str = "") -> tuple[int, str]:
    """Run with stdout a pipe nobody reads any more (`| head` after it has had enough)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [COMMONPURSE, *args],
            input=stdin,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(database_url),
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    return result.returncode, result.stderr


@pytest.mark.slow
def test_chat_into_a_reader_that_left_ends_quietly(database_url, community):
    code, errors = _into_a_closed_pipe(
        database_url, "chat", "--community", "riverside", "--as", "07700900123", stdin="hi\nYES\nBUDGET\n" * 5
    )
    assert (code, errors) == (141, "")


@pytest.mark.slow
def test_a_listing_into_a_reader_that_left_ends_quietly(database_url, community):
    assert _into_a_closed_pipe(database_url, "community", "list") == (141, "")


@pytest.mark.slow
def test_chat_into_head(database_url, community):
    lines = "".join(f"IDEA idea number {n}\nSKIP\n" for n in range(4))
    # pipefail: the pipeline's status is ours (141 if we noticed head leave), not head's 0.
    result = subprocess.run(
        [
            "bash",
            "-c",
            (f"set -o pipefail; '{COMMONPURSE}' chat --community riverside --as 07700900123 | head -n 1"),
        ],
        input="hi\nYES\n" + lines,
        capture_output=True,
        text=True,
        env=_env(database_url),
        timeout=60,
        check=False,
    )
    assert "Reply YES to join" in result.stdout and len(result.stdout.splitlines()) == 1
    assert (result.returncode, result.stderr) in {(0, ""), (141, "")}


# --- texts organisers send to residents --------------------------------------------------------------


def _idea(say) -> None:
    say("IDEA a bridge over the canal")
    say("£3m")


def test_a_reject_reason_goes_out_in_plain_gsm7_after_its_cost_is_shown(cp, member):
    _idea(member.say)
    result = cp(
        "ideas",
        "reject",
        "--community",
        "riverside",
        "1",
        "--reason",
        "The council’s “Canal Plan” – due in May… covers it.",
    )
    assert result.exit_code == 0, result.output
    plain = 'The council\'s "Canal Plan" - due in May... covers it.'
    assert result.output.splitlines() == [
        (
            f"Each author gets (GSM-7, 1 segment): Your idea #1 was not taken forward: {plain} "
            "Thank you for sharing it."
        ),
        "Cost: 1 author × 1 segment = up to 1 SMS segment.",
        "Idea #1 rejected.",
    ]
    assert member.inbox() == [f"Your idea #1 was not taken forward: {plain} Thank you for sharing it."]


def test_what_makes_a_message_ucs2_is_named(cp, member):
    result = cp("budget", "update", "--community", "riverside", "--text", "Garden open 🌻", "--broadcast")
    assert result.exit_code == 0, result.output
    assert (
        "Each member gets (UCS-2, 2 segments): Riverside Big Local budget news: Garden open 🌻"
        in result.output
    )
    assert "🌻 makes it UCS-2: a segment then holds 70 characters, not 160." in result.output


LONG = "The garden opened on Saturday. " * 8


def test_a_text_that_would_be_shortened_is_refused_in_a_script(cp, member):
    result = cp("budget", "update", "--community", "riverside", "--text", LONG, "--broadcast")
    assert result.exit_code == 2
    assert "Your text does not fit whole, so residents get it as shown" in result.output
    assert result.output.splitlines()[-1] == (
        "commonpurse: error: not sent: your text does not "
        "fit whole (up to 2 SMS segments); add --yes to go ahead"
    )
    assert member.inbox() == []
    shown = cp("budget", "show", "--community", "riverside", "--json").output
    assert '"latest_update": null' in shown


def test_yes_sends_it_anyway(cp, member):
    result = cp("budget", "update", "--community", "riverside", "--text", LONG, "--broadcast", "--yes")
    assert result.exit_code == 0 and "Sent to 1 member." in result.output
    assert len(member.inbox()) == 1


@pytest.mark.parametrize("answer, code, received", [("y\n", 0, 1), ("n\n", 1, 0)])
def test_at_a_terminal_the_organiser_is_asked(runner, member, monkeypatch, answer, code, received):
    _idea(member.say)
    monkeypatch.setattr(output, "interactive", lambda: True)
    result = runner.invoke(
        cli, ["ideas", "reject", "--community", "riverside", "1", "--reason", "x" * 300], input=answer
    )
    assert result.exit_code == code, result.output
    assert "Send it anyway (your text does not fit whole; up to 2 SMS segments)? [y/N]" in result.output
    assert len(member.inbox()) == received


def test_more_than_two_segments_a_member_is_asked_about(cp, member, new_chat, monkeypatch):
    # No English text costs more than two segments today; a longer budget for budget news
    # (or a translation) would, and then the organiser is asked.
    monkeypatch.setitem(catalogue.CATALOGUE, "budget_news", Entry(catalogue.CATALOGUE["budget_news"].text, 3))
    monkeypatch.setitem(catalogue.PLACEHOLDER_MAX, "update", 400)
    other = new_chat()
    other.say("hi")
    other.say("YES")
    text = "word " * 70
    refused = cp("budget", "update", "--community", "riverside", "--text", text, "--broadcast")
    assert "2 members × 3 segments = up to 6 SMS segments." in refused.output
    assert refused.output.splitlines()[-1] == (
        "commonpurse: error: not sent: 3 segments each (up to 6 SMS segments); add --yes to go ahead"
    )
    sent = cp("budget", "update", "--community", "riverside", "--text", text, "--broadcast", "--yes")
    assert sent.exit_code == 0 and "Sent to 2 members." in sent.output


def test_without_a_member_to_tell_nothing_is_asked(cp, db, clock, community):
    author = Chat(db, clock, "riverside", "+447700900123")
    author.say("hi")
    author.say("YES")
    _idea(author.say)
    author.say("STOP")
    result = cp("ideas", "reject", "--community", "riverside", "1", "--reason", "x" * 300)
    assert (result.exit_code, result.output) == (0, "Idea #1 rejected.\n")


@pytest.mark.slow
def test_a_database_never_upgraded_is_one_line(tmp_path):
    result = _run(f"sqlite:///{tmp_path / 'new.db'}", "community", "list")
    assert (result.returncode, result.stdout) == (1, "")
    assert (
        result.stderr
        == "commonpurse: error: the database has no tables yet: run `commonpurse db upgrade` first\n"
    )


def test_an_idea_that_cannot_be_rejected_costs_nothing_and_is_one_line(cp, member):
    _idea(member.say)
    assert cp("ideas", "reject", "--community", "riverside", "1", "--reason", "No.").exit_code == 0
    _one_error_line(
        cp("ideas", "reject", "--community", "riverside", "1", "--reason", "No."), "cannot be rejected now"
    )
