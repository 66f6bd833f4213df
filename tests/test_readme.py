"""The README's "Organiser CLI" block runs as written, in order, on a fresh database.

How the block is read, so that it is a reference for people and a script for this test at once:

- a line ending in a backslash continues on the next; `#` starts a comment;
- `[...]` is an optional part: it is dropped before the line runs (`|` inside it separates
  alternatives), and every `--option` it names must be one the command has;
- `printf '...' | commonpurse ...` runs the command with printf's text as stdin (`\\n` is a new
  line; no other escapes or `%` formats are used);
- `cp_AbCdEfG` stands for the first ten characters of the token the last `token create` printed,
  the one thing no README can know in advance;
- what runs until stopped or talks to Telegram is not run: `serve`, `scheduler`, `worker`,
  `telegram ...`, and `chat` without piped input;
- every other line must start with `commonpurse` and exit with code 0.

It runs twice: on an empty database, and after `serve --demo` (the Quick start) has added the
demo community, whose join code an example once collided with. Residents' ideas come from the
block's own piped `chat` lines, so the test needs no setup of its own.
"""

import re
import shlex
from pathlib import Path

import click
import pytest
from flask.cli import ScriptInfo

from bot.cli import cli
from bot.domain.demo import seed_demo

README = Path(__file__).parent.parent / "README.md"
SECTION = "Organiser CLI"
TOKEN_PLACEHOLDER = "cp_AbCdEfG"
NOT_RUN = {"serve", "scheduler", "worker", "telegram"}
OPTIONAL = re.compile(r"\s*\[([^\[\]]*)\]")


def section(markdown: str, title: str) -> str:
    """The text under `## title`, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match[1]


def shell_lines(text: str) -> list[str]:
    """The logical lines of the section's ```sh blocks, continuations joined."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        lines += [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return lines


def parse(line: str) -> tuple[list[str], str | None, list[str]]:
    """(arguments after `commonpurse`, stdin or None, the options named in optional parts)."""
    optional = [word for part in OPTIONAL.findall(line) for word in part.split() if word.startswith("--")]
    words = shlex.split(OPTIONAL.sub("", line), comments=True)
    stdin = None
    if words[0] == "printf":
        assert words[2] == "|", f"printf must pipe straight into commonpurse: {line}"
        stdin, words = words[1].replace("\\n", "\n"), words[3:]
    assert words[0] == "commonpurse", f"not a commonpurse command: {line}"
    return words[1:], stdin, optional


def is_run(args: list[str], stdin: str | None) -> bool:
    """False for what runs until stopped or needs Telegram."""
    return args[0] not in NOT_RUN and not (args[0] == "chat" and stdin is None)


def command_for(args: list[str], app) -> click.Command:
    """The click command `args` name (`round create` -> the create command)."""
    ctx = click.Context(cli, obj=ScriptInfo(create_app=lambda: app))
    command = cli
    for word in args:
        sub = command.get_command(ctx, word) if isinstance(command, click.Group) else None
        if sub is None:
            break
        command = sub
    return command


@pytest.fixture(params=["fresh", "after serve --demo"])
def database(request, db, clock):
    if request.param != "fresh":
        with db.transaction() as session:
            seed_demo(session, clock())
    return db


def test_the_organiser_cli_block_runs_as_written(app, database, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `round export --output round.pb` writes here
    monkeypatch.delenv("COMMONPURSE_ORGANISER", raising=False)
    lines = shell_lines(section(README.read_text(encoding="utf-8"), SECTION))
    assert len(lines) > 20, "the Organiser CLI section lost its example"
    token, ran = None, 0
    for line in lines:
        args, stdin, optional = parse(line)
        names = {
            name for param in command_for(args, app).params for name in param.opts + param.secondary_opts
        }
        assert set(optional) <= names, f"{line}: no such option {set(optional) - names}"
        if not is_run(args, stdin):
            continue
        if TOKEN_PLACEHOLDER in args:
            assert token, f"{line}: no `token create` before it"
            args = [token[:10] if arg == TOKEN_PLACEHOLDER else arg for arg in args]
        result = runner.invoke(cli, args, input=stdin)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        if args[:2] == ["token", "create"]:
            token = result.output.strip()
        ran += 1
    assert ran > 20


def test_optional_parts_and_pipes_are_read_as_documented():
    args, stdin, optional = parse(
        "printf 'a\\nb\\n' | commonpurse round show --community riverside 1 [--json]  # note"
    )
    assert (args, stdin, optional) == (
        ["round", "show", "--community", "riverside", "1"],
        "a\nb\n",
        ["--json"],
    )
    args, _, optional = parse(
        'commonpurse x [--verification postcode --postcode-area "E2 7" | '
        "--verification phone] [--timezone Europe/London]"
    )
    assert args == ["x"]
    assert optional == ["--verification", "--postcode-area", "--verification", "--timezone"]
    assert not is_run(["chat", "--community", "riverside"], None)
    assert is_run(["chat", "--community", "riverside"], "hi\n")


def quick_start_commands() -> list[str]:
    """The Quick start's commands: run it, test it."""
    return shell_lines(section(README.read_text(), "Quick start"))[:2]


def test_ci_runs_the_readmes_test_command_and_both_install_from_the_lock():
    """CI proves what a newcomer runs, and both commands install the pinned versions: an
    unpinned install is a different program every week (click 8.5 broke the CLI's tests)."""
    run, test = quick_start_commands()
    assert run.endswith("commonpurse serve --demo") and "pytest" in test
    ci = (README.parent / ".ci" / "run").read_text().splitlines()
    assert test in ci, "the test command in .ci/run differs from the README's"
    for command, lock in ((run, "requirements/run.txt"), (test, "requirements/test.txt")):
        assert command.startswith(f"pip install -r {lock} && pip install --no-deps "), command
        pins = [line for line in (README.parent / lock).read_text().splitlines() if "==" in line]
        assert pins and all("--hash=sha256:" in line or line.endswith("\\") for line in pins), lock
