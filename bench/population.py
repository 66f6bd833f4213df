"""Members in bulk (a broadcast or a close needs thousands): Core inserts, not the dialogue."""

from sqlalchemy import func, insert, select

from models import Community, Identity, Resident, utcnow


def add_members(session, count: int) -> Community:
    """`count` active members of community "bench", each with a phone last used by SMS."""
    community = session.scalars(select(Community).where(Community.slug == "bench")).one()
    now = utcnow()
    first = (session.scalar(select(func.max(Resident.id))) or 0) + 1
    for start in range(0, count, 10_000):
        chunk = range(start, min(start + 10_000, count))
        session.execute(
            insert(Resident),
            [
                dict(
                    id=first + n, community_id=community.id, status="active", opted_out=False, created_at=now
                )
                for n in chunk
            ],
        )
        session.execute(
            insert(Identity),
            [
                dict(
                    resident_id=first + n,
                    community_id=community.id,
                    kind="phone",
                    value=f"+44770{first + n:07d}",
                    last_channel="sms",
                    last_seen_at=now,
                    created_at=now,
                )
                for n in chunk
            ],
        )
    if session.bind.dialect.name == "postgresql":  # ids were given: move the sequences on
        for table in ("resident", "identity"):
            session.execute(
                select(
                    func.setval(
                        f"{table}_id_seq",
                        select(
                            func.max(Resident.id if table == "resident" else Identity.id)
                        ).scalar_subquery(),
                    )
                )
            )
    return community
