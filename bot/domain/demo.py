"""A demo community, so `commonpurse serve --demo` has something to talk about, and a demo
council that follows it, so a council officer has something to read."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.communities import create_community
from models import Community, Council, Idea

DEMO_SLUG = "demo"
DEMO_COUNCIL = "Demo Borough Council"  # slug demo-borough-council
DEMO_IDEAS = [
    ("More benches on the green, near the play area", 250_000, "shortlisted"),
    ("Free youth football sessions on Saturday mornings", 600_000, "submitted"),
    ("Fix the lights on the canal path", None, "submitted"),
]


def seed_demo(session: Session, now: datetime) -> Community:
    """Create the demo community once; running it again changes nothing."""
    existing = session.scalar(select(Community).where(Community.slug == DEMO_SLUG))
    if existing is not None:
        return existing
    community = create_community(
        session,
        name="Riverside Big Local (demo)",
        slug=DEMO_SLUG,
        budget_total_pence=1_150_000_00,
        join_code="RIVERSIDE",
        sms_number="+441632960000",  # Ofcom's range for drama: never a real line
        now=now,
    )
    for number, (text, cost, status) in enumerate(DEMO_IDEAS, start=1):
        session.add(
            Idea(
                community_id=community.id,
                number=number,
                author_id=None,
                text=text,
                cost_pence=cost,
                status=status,
                created_at=now,
            )
        )
    garden = ledger.allocate(session, community, title="Community garden", amount_pence=20_000_00, now=now)
    ledger.spend(
        session,
        community,
        description="Garden tools and seeds",
        amount_pence=3_250_00,
        spent_on=(now - timedelta(days=7)).date(),
        allocation_id=garden.id,
        now=now,
    )
    ledger.post_update(
        session,
        community,
        "The community garden opened on Saturday: thank you to everyone who voted for it!",
        now,
    )
    # Its officers come from `commonpurse council officer create`: no demo password to guess.
    session.add(
        Council(name=DEMO_COUNCIL, slug="demo-borough-council", communities=[community], created_at=now)
    )
    return community
