"""Fixtures: a migrated database (SQLite always, PostgreSQL when configured), the app,
its test client and CLI runner, a fixed clock, and a chat helper."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.context import get_db
from bot.domain.communities import create_community
from bot.messaging.channels import configured_channels
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.inbound import keep, receive
from bot.messaging.pending import answer_pending
from bot.web.app import create_app
from channels import console
from channels.messages import Address
from models import Base
from models.engine import make_engine
from models.migrate import alembic_config, upgrade
from tests.dashboard_helpers import quick_hash
from tests.fake_telegram import TOKEN
from tests.fakes import CollectingChannel, FixedClock
from tests.telegram_helpers import SECRET, TelegramUser

# Point this at a PostgreSQL database to run every database test there too, e.g.
# postgresql+psycopg://postgres@127.0.0.1:5432/test. Tests use their own schema in it.
PG_URL = os.environ.get("COMMONPURSE_TEST_DATABASE_URL")
# Set to 1 (as CI does) to fail rather than skip when PostgreSQL is not configured.
REQUIRE_PG = os.environ.get("COMMONPURSE_TEST_REQUIRE_POSTGRES") == "1"
# Runs side by side (two checkouts, two developers) each need their own schema, and so does
# each pytest-xdist worker (gw0, gw1...) of one run.
PG_SCHEMA = "_".join(
    filter(
        None,
        (
            os.environ.get("COMMONPURSE_TEST_SCHEMA", "commonpurse_test"),
            os.environ.get("PYTEST_XDIST_WORKER"),
        ),
    )
)


def pytest_collection_modifyitems(items):
    """Mark the PostgreSQL half of the database tests, and the tests that drive a browser, so
    that `-m "not postgresql and not browser"` leaves them out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgresql)
        if {"chromium", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    """One line, not one per test, when the browser tests were skipped for want of Chromium."""
    from tests.browser import MISSING

    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(MISSING in str(report.longrepr) for report in skipped)
    if count:
        terminalreporter.write_line(f"{count} browser tests skipped: {MISSING}")


@dataclass
class Backend:
    name: str
    url: str
    engine: Engine | None = None  # PostgreSQL's, kept for emptying the schema between tests

    def fresh(self, directory: Path) -> str:
        """A database URL holding a freshly migrated, empty schema."""
        if self.name == "sqlite":
            path = directory / "commonpurse.db"
            shutil.copy(make_url(self.url).database, path)
            return f"sqlite:///{path}"
        # DELETE, children first, then every sequence back to 1: the tables are tiny, and this
        # takes milliseconds where TRUNCATE (new files for every table and index) took 0.2 s.
        # One round trip on a connection kept for the session: 5 ms, where a new engine and a
        # statement at a time took 90.
        assert self.engine is not None
        with self.engine.begin() as connection:
            connection.exec_driver_sql(EMPTY)
        return self.url


EMPTY = "; ".join(
    [f"DELETE FROM {table.name}" for table in reversed(Base.metadata.sorted_tables)]
    + [
        "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()",
        "DROP TABLE IF EXISTS apscheduler_jobs",
    ]
)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()  # closing the last connection checkpoints the WAL into the file
        yield Backend("sqlite", f"sqlite:///{path}")
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("COMMONPURSE_TEST_REQUIRE_POSTGRES=1 but COMMONPURSE_TEST_DATABASE_URL is unset")
        pytest.skip("PostgreSQL not configured: set COMMONPURSE_TEST_DATABASE_URL")
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    admin.dispose()
    # Commits do not wait for the server's WAL flush: a setting of these sessions alone (the
    # server is shared), which changes nothing a test can see short of the server crashing.
    options = f"-csearch_path={PG_SCHEMA} -csynchronous_commit=off"
    url = make_url(PG_URL).update_query_dict({"options": options})
    url = url.render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    yield Backend("postgresql", url, engine)
    engine.dispose()


# SQLite files go in memory where the machine has room for them (/dev/shm): the same SQLite,
# the same WAL and fsync on every commit, but an fsync there costs nothing where on disk it cost
# about a millisecond a commit, a third of the time of the SQLite half's database tests.
MEMORY = Path("/dev/shm")


def _in_memory(tmp_path: Path) -> Path:
    if MEMORY.is_dir() and os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free > 2**30:
        return Path(tempfile.mkdtemp(prefix="commonpurse-test-", dir=MEMORY))
    return tmp_path


@pytest.fixture
def database_url(backend, tmp_path):
    directory = _in_memory(tmp_path) if backend.name == "sqlite" else tmp_path
    yield backend.fresh(directory)
    if directory != tmp_path:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def app(database_url, clock):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "CLOCK": clock})
    yield app
    get_db(app).dispose()


@pytest.fixture
def db(app):
    return get_db(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_community(db, clock):
    """Create a community; keyword arguments override the defaults."""

    def make(**overrides):
        fields = dict(
            name="Riverside Big Local",
            slug="riverside",
            budget_total_pence=1_150_000_00,
            join_code="RIVERSIDE",
            sms_number="+441632960001",
        )
        fields.update(overrides)
        with db.transaction() as session:
            return create_community(session, now=clock(), **fields)

    return make


@pytest.fixture
def community(make_community):
    return make_community()


# COMMONPURSE_TEST_ANSWER=worker: a Chat's lines are stored and answered by the worker (its
# groups, bot.messaging.pending), so the conversation tests check that path says the same.
ANSWER = os.environ.get("COMMONPURSE_TEST_ANSWER", "inline")


class Chat:
    """A resident in a conversation: `say` a line, get back the replies they would see."""

    def __init__(self, db, clock, slug: str, phone: str):
        self.db, self.clock, self.slug, self.phone = db, clock, slug, phone
        self.channel = CollectingChannel(console.NAME)
        self.dispatcher = Dispatcher(db, {console.NAME: self.channel}, clock)

    def say(self, text: str) -> list[str]:
        before = len(self.channel.sent)
        message = console.inbound(self.phone, text, self.slug)
        if ANSWER == "worker":  # stored, then answered by the worker, as INBOUND_ANSWER=worker does
            keep(self.db, message, self.clock())
            while answer_pending(self.db, self.clock, None):
                pass
        else:
            receive(self.db, message, self.clock())
        while self.dispatcher.run_once(Address(console.NAME, self.phone)):
            pass
        return self.channel.texts()[before:]

    def inbox(self) -> list[str]:
        """Messages we started (ballots, news) that reached this resident since they last looked."""
        before = len(self.channel.sent)
        while self.dispatcher.run_once(Address(console.NAME, self.phone)):
            pass
        return self.channel.texts()[before:]

    def reply(self, text: str) -> str:
        """The one reply to `text` (fails if there is not exactly one)."""
        replies = self.say(text)
        assert len(replies) == 1, replies
        return replies[0]


@pytest.fixture
def chat(db, clock, community):
    """A new resident of the default community, not yet joined."""
    return Chat(db, clock, community.slug, "+447700900123")


@pytest.fixture
def member(chat):
    """A resident who has joined the default community."""
    chat.say("hello")
    assert "you're in" in chat.reply("YES").lower()
    return chat


@pytest.fixture
def new_chat(db, clock):
    def make(slug: str = "riverside", phone: str = "+447700900456") -> Chat:
        return Chat(db, clock, slug, phone)

    return make


@pytest.fixture
def cp(runner):
    """Run a `commonpurse` command against the test app: cp("community", "list")."""
    from bot.cli import cli

    def invoke(*args: str):
        return runner.invoke(cli, list(args))

    return invoke


@pytest.fixture
def fake_twilio(monkeypatch):
    """A running fake Twilio API; TWILIO_EDGE/REGION set to show they cannot redirect us."""
    from tests.fake_twilio import start_fake_twilio

    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    fake, stop = start_fake_twilio()
    yield fake
    stop()


@pytest.fixture
def fake_telegram():
    from tests.fake_telegram import start_fake_telegram

    fake, stop = start_fake_telegram()
    yield fake
    stop()


def park_round(cp, slug: str, say, method: str = "approval", order: str = "numbered") -> None:
    """Through `say` (a resident who has joined), give two ideas at £1k; shortlist them and
    schedule round 1, "Park", of both (not yet open), its options listed in `order` (number order
    unless a test asks: most tests read the listing)."""
    for idea in ("IDEA benches", "IDEA a mural"):
        say(idea)
        say("£1k")
    for number in ("1", "2"):
        assert cp("ideas", "shortlist", "--community", slug, number).exit_code == 0
    assert (
        cp(
            "round",
            "create",
            "--community",
            slug,
            "--title",
            "Park",
            "--method",
            method,
            "--ideas",
            "1,2",
            "--opens",
            "2026-11-26 09:00",
            "--closes",
            "2026-11-30 18:00",
            "--order",
            order,
        ).exit_code
        == 0
    )


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session's browser tests."""
    from playwright.sync_api import sync_playwright

    from tests.browser import chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture
def live_app(app):
    """The app served over HTTP on 127.0.0.1, as a browser reaches it; yields its base URL."""
    from tests.fakes import serve_in_thread

    port, stop = serve_in_thread(app)
    yield f"http://127.0.0.1:{port}"
    stop()


@pytest.fixture
def page(chromium, live_app):
    context = chromium.new_context(base_url=live_app, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    # A Content-Security-Policy breaks a page silently: what it blocked is only in the console.
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not blocked, blocked


class Inbox:
    """What a real SMTP server on 127.0.0.1 was sent: (recipients, parsed message) pairs."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1, and the app configured to send through it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_SECURITY="none",
        MAIL_FROM="Common Purse <digest@purse.example.org>",
    )
    yield inbox
    controller.stop()


@pytest.fixture
def tg_app(app, fake_telegram):
    app.config.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
        TELEGRAM_CHAT_MESSAGES_PER_SECOND=1000,
        TELEGRAM_MESSAGES_PER_SECOND=1000,
    )
    return app


@pytest.fixture
def dispatcher(tg_app):
    channels = configured_channels(tg_app)
    yield Dispatcher(get_db(tg_app), channels, tg_app.config["CLOCK"])
    channels["telegram"].close()


@pytest.fixture
def tg_user(tg_app, fake_telegram, dispatcher):
    return TelegramUser(tg_app, fake_telegram, dispatcher)


@pytest.fixture
def token(cp, community, make_community):
    make_community(slug="elsewhere", join_code="ELSEWHERE", sms_number="+441632960008", name="Elsewhere")
    args = ["--email", "Sam@Example.org", "--name", "Sam", "--community", "riverside"]
    # The API signs in by token, never by password: Sam's is hashed quickly (dashboard_helpers).
    with mock.patch("bot.domain.organisers.generate_password_hash", quick_hash):
        assert cp("organiser", "create", *args, "--password", "a long passphrase").exit_code == 0
    result = cp("token", "create", "--email", "sam@example.org", "--name", "laptop")
    assert result.exit_code == 0
    return result.output.strip()


@pytest.fixture
def api(client, token):
    """Call the API as Sam: api("get", "/communities") -> (status, json)."""

    def call(method: str, path: str, json=None, headers=None, **kwargs):
        response = getattr(client, method)(
            "/api/v1" + path,
            json=json,
            headers=headers if headers is not None else {"Authorization": f"Bearer {token}"},
            **kwargs,
        )
        assert response.status_code < 500, response.data
        return response.status_code, response.get_json(silent=True) or response.get_data(as_text=True)

    return call


@pytest.fixture
def empty_engine(backend, tmp_path):
    """An engine on an empty database (SQLite) or schema of its own (PostgreSQL)."""
    if backend.name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/indexes.db")
        yield engine
        engine.dispose()
        return
    schema = f"{PG_SCHEMA}_indexes"
    admin = make_engine(backend.url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(backend.url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    admin.dispose()


def downgrade(engine, revision: str) -> None:
    """Take a database's schema back down to `revision` (its migrations' downgrades)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)
