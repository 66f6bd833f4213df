"""The dispatcher against a local fake Twilio (pacing off), against a bare loop that claims
rows with one UPDATE ... RETURNING a batch, POSTs each with one HTTP session and marks the
batch sent with one executemany."""
import requests
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, insert, \
    select, update

from bench.harness import NUMBER, Side, interleave, project_app, report
from bot.context import get_db
from bot.domain.outbox import enqueue
from bot.messaging.dispatcher import Dispatcher
from channels.messages import Address
from channels.twilio_sms import TwilioSettings, TwilioSMSChannel
from channels.pacing import Pacer
from models import utcnow
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.fakes import serve_in_thread

BARE = MetaData()
bare_outbox = Table("bench_outbox", BARE, Column("id", Integer, primary_key=True),
                    Column("address", String(64)), Column("body", Text),
                    Column("status", String(20)), Column("provider_id", String(100)),
                    Column("sent_at", DateTime(timezone=True)))


def run(db_kind: str, url: str, quick: bool) -> None:
    per_round, rounds = (150, 2) if quick else (2000, 4)
    fake = FakeTwilio()
    port, stop = serve_in_thread(fake.app())
    api = f"http://127.0.0.1:{port}"
    app = project_app(url)
    db = get_db(app)
    BARE.create_all(db.engine)
    channel = TwilioSMSChannel(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, api_url=api),
                               pacer=Pacer(10**9))
    dispatcher = Dispatcher(db, {"sms": channel}, utcnow)
    http = requests.Session()
    http.auth = (ACCOUNT_SID, AUTH_TOKEN)
    messages = f"{api}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    def prepare(side: str) -> None:
        if side == "project":
            with db.transaction() as session:
                for n in range(per_round):
                    enqueue(session, address=Address("sms", f"+4477009{n:05d}"), text=f"news {n}",
                            now=utcnow(), sender=NUMBER)
            return
        with db.engine.begin() as connection:
            connection.execute(insert(bare_outbox), [
                dict(address=f"+4477009{n:05d}", body=f"news {n}", status="queued")
                for n in range(per_round)])

    def project(side: Side) -> None:
        while dispatcher.run_once():
            pass
        side.items += per_round

    def baseline(side: Side) -> None:
        while True:
            with db.engine.begin() as connection:
                due = select(bare_outbox.c.id).where(bare_outbox.c.status == "queued") \
                    .order_by(bare_outbox.c.id).limit(50)
                if db_kind == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                rows = connection.execute(update(bare_outbox).where(bare_outbox.c.id.in_(due.scalar_subquery()))
                                          .values(status="sending")
                                          .returning(bare_outbox.c.id, bare_outbox.c.address,
                                                     bare_outbox.c.body)).all()
            if not rows:
                break
            sent = []
            for row in rows:
                answer = http.post(messages, data={"To": row.address, "From": NUMBER, "Body": row.body})
                answer.raise_for_status()
                sent.append({"row_id": row.id, "sid": answer.json()["sid"], "at": utcnow()})
            with db.engine.begin() as connection:
                connection.execute(update(bare_outbox).where(bare_outbox.c.id == bindparam("row_id"))
                                   .values(status="sent", provider_id=bindparam("sid"),
                                           sent_at=bindparam("at")), sent)
        side.items += per_round
    try:
        ours, bare = interleave(rounds, project, baseline, prepare)
    finally:
        stop()
    report(f"dispatch ({db_kind})", ours, bare, "msg")

