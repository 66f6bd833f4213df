"""Throughput of the inbound path, the dispatcher, and the outcome rules (see bench/README.md)."""
import argparse
import random
import tempfile
import time

from sqlalchemy import text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from bot.context import get_db
from bot.domain.communities import create_community
from bot.domain.outcome import Option, compute
from bot.messaging.dispatcher import Dispatcher
from bot.web.app import create_app
from channels.messages import OutboundMessage
from models import utcnow
from models.engine import make_engine

TOKEN = "f" * 32
SCHEMA = "commonpurse_bench"
NUMBER = "+441632960001"


def inbound(app, messages: int) -> float:
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    url = "https://bench.example.org/webhooks/twilio/sms"
    start = time.perf_counter()
    for n in range(messages):
        params = {"MessageSid": f"SM{n:032d}", "From": f"+4477009{n % 500:05d}", "To": NUMBER,
                  "Body": ["hi", "YES", "BUDGET", "IDEA a bench", "500", "HELP"][n // 500 % 6]}
        response = client.post("/webhooks/twilio/sms", data=params,
                               headers={"X-Twilio-Signature": validator.compute_signature(url, params)})
        assert response.status_code == 200
    return messages / (time.perf_counter() - start)


class InstantChannel:
    name = "sms"

    def __init__(self):
        self.sent = 0

    def send(self, message: OutboundMessage) -> str:
        self.sent += 1
        return f"bench-{self.sent}"


def dispatch(app) -> tuple[int, float]:
    channel = InstantChannel()
    dispatcher = Dispatcher(get_db(app), {"sms": channel}, utcnow, batch=200)
    start = time.perf_counter()
    while dispatcher.run_once():
        pass
    return channel.sent, channel.sent / (time.perf_counter() - start)


def outcome(voters: int, options: int, rule: str) -> float:
    rng = random.Random(7)
    choices = [Option(n, rng.randrange(5_000, 60_000) * 100) for n in range(1, options + 1)]
    ballots = [rng.sample(range(1, options + 1), rng.randint(1, 5)) for _ in range(voters)]
    start = time.perf_counter()
    compute(choices, ballots, 250_000 * 100, rule)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    if args.database_url:  # a schema of its own, dropped afterwards, like the tests
        admin = make_engine(args.database_url)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        url = make_url(args.database_url).update_query_dict(
            {"options": f"-csearch_path={SCHEMA}"}).render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN, "LOG_LEVEL": "WARNING",
                      "PUBLIC_URL": "https://bench.example.org"})
    db = get_db(app)
    db.upgrade()
    with db.transaction() as session:
        create_community(session, name="Bench", slug="bench", budget_total_pence=10**9,
                         join_code="BENCH", sms_number=NUMBER, now=utcnow())
    print(f"database: {db.engine.dialect.name}")
    print(f"inbound:  {inbound(app, args.messages):7.0f} messages/s ({args.messages} webhooks)")
    sent, rate = dispatch(app)
    print(f"dispatch: {rate:7.0f} messages/s ({sent} outbox rows)")
    for rule in ("greedy", "equal-shares"):
        print(f"outcome:  {outcome(5000, 20, rule):7.2f} s for 5,000 voters, 20 options, {rule}")
    db.dispose()
    if args.database_url:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))


if __name__ == "__main__":
    main()
