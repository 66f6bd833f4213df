"""Open grant data: a community's allocations to funded projects as 360Giving grants.

One grant per allocation that counts (a void one does not), for the project it funds, to the
organisation that delivers it. Its amount is the ledger's: what the allocation commits (its
amount; once closed, what was spent against it), in pounds as the standard writes amounts, with
what was paid so far beside it. Nothing is published until the community has its registered
360Giving prefix and says who the funder is; a grant whose recipient is not recorded yet is
left out, and said so to organisers (`left_out`)."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.errors import InvalidInput, NotFound
from bot.text.clean import visible
from bot.text.links import public_url
from bot.text.organiser_text import plain, refuse_controls
from bot.text.times import local
from models import Community, Idea, Project, Spending
from models.money import Correction
from models.states import AllocationStatus

VERSION = "1.4"  # of the standard, major.minor, as the package's "version" says it
LICENCES = {
    "CC-BY": "https://creativecommons.org/licenses/by/4.0/",
    "OGL": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
_PREFIX = re.compile(r"^360G-[A-Za-z0-9][A-Za-z0-9_.-]*$")
# An org-id: a list code ("GB-CHC") then the organisation's number in that list, or a
# publisher's own prefix then its own reference ("360G-riverside-youth-trust").
_ORG_ID = re.compile(r"^[A-Za-z0-9]+-[A-Za-z0-9]+-[^\s/\\]+$")
# The spreadsheet columns for the fields we publish, titled as the standard's schema titles them.
CSV_COLUMNS = (
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Amount Disbursed", ("amountDisbursed",)),
    ("Award Date", ("awardDate",)),
    ("URL", ("url",)),
    ("Recipient Org:Identifier", ("recipientOrganization", "id")),
    ("Recipient Org:Name", ("recipientOrganization", "name")),
    ("Funding Org:Identifier", ("fundingOrganization", "id")),
    ("Funding Org:Name", ("fundingOrganization", "name")),
    ("Last Modified", ("dateModified",)),
)


class NotPublished(NotFound):
    """The community publishes no grant data (yet): the message says why, in one line."""


@dataclass(frozen=True)
class Published:
    package: dict[str, Any]  # the 360Giving data package, as JSON
    left_out: tuple[str, ...]  # allocations that are not in it, each with the reason


def publishes(community: Community) -> bool:
    """Whether the community has said enough to publish: its prefix and its funder's id."""
    return bool(community.grant_prefix and community.funder_org_id)


def set_grant_data(
    community: Community,
    *,
    prefix: str | None = None,
    funder_id: str | None = None,
    funder_name: str | None = None,
    licence: str | None = None,
) -> Community:
    """Set what publishing needs: the registered prefix ("360G-riverside"), the funder's org-id
    and name (the name defaults to the community's), and the licence (CC-BY or OGL). Only what is
    given changes; a prefix needs the funder's id, given now or before."""
    if prefix is not None:
        prefix = prefix.strip()
        if not _PREFIX.match(prefix) or len(prefix) > 60:
            raise InvalidInput(
                f"{prefix!r} is not a 360Giving prefix: registered prefixes look like 360G-riverside",
                field="prefix",
            )
    if funder_id is not None:
        funder_id = org_id(funder_id, "the funder's id")
    if funder_name is not None:
        funder_name = org_name(funder_name, "the funder's name")
    if licence is not None:
        licence = parse_licence(licence)
    if (prefix or community.grant_prefix) and not (funder_id or community.funder_org_id):
        raise InvalidInput(
            "say who gives the grants: --funder-id, the funder's org-id (e.g. GB-CHC-1164883)",
            field="funder_id",
        )
    if prefix is not None:
        community.grant_prefix = prefix
    if funder_id is not None:
        community.funder_org_id = funder_id
    if funder_name is not None:
        community.funder_org_name = funder_name
    if licence is not None:
        community.grant_licence = licence
    return community


def stop_publishing(community: Community) -> None:
    """Publish no grant data: the prefix goes; the funder and licence stay for next time."""
    community.grant_prefix = None


def parse_licence(text: str) -> str:
    """ "cc-by", "CC BY" or "ogl" as the licence's code; InvalidInput otherwise."""
    wanted = re.sub(r"[\s_-]+", "-", text.strip().upper())
    wanted = {"CCBY": "CC-BY", "CC-BY-4.0": "CC-BY", "OGL-3.0": "OGL"}.get(wanted.replace("-", ""), wanted)
    if wanted not in LICENCES:
        raise InvalidInput(
            f"{text.strip()!r} is not a licence we publish under: use CC-BY or OGL", field="licence"
        )
    return wanted


def org_id(text: str, what: str) -> str:
    """An organisation's id as 360Giving writes it (org-id.guide: GB-CHC-1164883)."""
    value = refuse_controls(text, what).strip()
    if not _ORG_ID.match(value) or len(value) > 100:
        raise InvalidInput(
            f"{value!r} is not an org-id: give a list code and a number, e.g. GB-CHC-1164883 "
            "or GB-COH-01234567 (see org-id.guide)",
            field="org_id",
        )
    return value


def org_name(text: str, what: str) -> str:
    name = plain(refuse_controls(text, what))
    if not name:
        raise InvalidInput(f"{what} cannot be empty", field="name")
    if len(name) > 200:
        raise InvalidInput(f"{what} is at most 200 characters (this one has {len(name)})", field="name")
    return name


def describe(community: Community) -> str:
    """The settings in one line, as the CLI confirms them."""
    if not publishes(community):
        return f"{community.slug} does not publish grant data"
    return (
        f"{community.slug} publishes grant data as {community.grant_prefix}, funded by "
        f"{community.funder_org_name or community.name} ({community.funder_org_id}), "
        f"under {community.grant_licence}"
    )


def published(session: Session, community: Community) -> Published:
    """The community's grants as a 360Giving data package; NotPublished, saying why, when it
    publishes none: no prefix yet, or no grant with its recipient recorded."""
    if not publishes(community):
        raise NotPublished(
            f"{community.slug} does not publish grant data yet: its organisers set a 360Giving "
            f"prefix first (commonpurse community grant-data --community {community.slug} --prefix 360G-...)"
        )
    prefix = community.grant_prefix or ""
    states = [s for s in ledger.allocation_states(session, community) if s.status != AllocationStatus.VOID]
    ideas = _by_id(session, Idea, {s.allocation.idea_id for s in states})
    projects = {
        p.idea_id: p for p in session.scalars(select(Project).where(Project.community_id == community.id))
    }
    funder = {"id": community.funder_org_id, "name": community.funder_org_name or community.name}
    page = _page(community)
    grants, left_out, changed = [], [], []
    for state in states:
        allocation = state.allocation
        project = projects.get(allocation.idea_id) if allocation.idea_id else None
        if allocation.idea_id is None:
            left_out.append(f"allocation {allocation.number}: it is for no funded project")
            continue
        if project is None or not project.recipient_org_name:
            number = ideas[allocation.idea_id].number
            left_out.append(
                f"allocation {allocation.number}: project {number} has no recipient recorded "
                f"(commonpurse project recipient --community {community.slug} {number} --name ...)"
            )
            continue
        idea = ideas[allocation.idea_id]
        changed.append(_modified(session, state, project))
        grant: dict[str, Any] = {
            "id": f"{prefix}-{community.slug}-{allocation.number}",
            "title": allocation.title,
            "description": visible(idea.text) or allocation.title,
            "currency": community.currency,
            "amountAwarded": pounds(state.committed),
            "amountDisbursed": pounds(state.spent),
            "awardDate": local(allocation.created_at, community.timezone).date().isoformat(),
            "recipientOrganization": [
                {
                    "id": project.recipient_org_id or _own_id(prefix, project.recipient_org_name),
                    "name": project.recipient_org_name,
                }
            ],
            "fundingOrganization": [dict(funder)],
            "dateModified": _stamp(changed[-1], community),
        }
        if page:
            grant["url"] = page
        grants.append(grant)
    if not grants:
        why = f"; left out: {'; '.join(left_out)}" if left_out else ""
        raise NotPublished(f"{community.slug} has no grant to publish yet{why}")
    package: dict[str, Any] = {
        "version": VERSION,
        "title": f"{community.name}: grants residents decided",
        "description": (
            f"Grants from {community.name}'s community budget to the projects its residents chose "
            "by vote, with the amounts in its ledger."
        ),
        "identifier": f"{prefix}-{community.slug}",
        "modified": _stamp(max(changed), community),
        "publisher": {"identifier": funder["id"], "name": funder["name"]},
        "license": LICENCES[community.grant_licence],
        "grants": grants,
    }
    if page:
        package["publisher"]["website"] = package["accessURL"] = page
        package["downloadURL"] = page + "/360giving.json"
    return Published(package, tuple(left_out))


def pounds(pence: int) -> int | float:
    """Pence as the standard writes an amount: a number of pounds, no symbol, no separators.
    The float is exact to the penny: pence / 100 is the double nearest the decimal, and JSON
    writes the shortest text that reads back as it ("1234.5")."""
    return pence // 100 if pence % 100 == 0 else pence / 100


def as_csv(package: dict[str, Any]) -> str:
    """The grants as one 360Giving spreadsheet sheet: a row each, columns titled as the
    standard titles them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for title, _ in CSV_COLUMNS])
    for grant in package["grants"]:
        writer.writerow([_cell(grant, path) for _, path in CSV_COLUMNS])
    return out.getvalue()


def _cell(grant: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = grant.get(path[0])
    if len(path) > 1 and value:
        value = value[0].get(path[1])
    if value is None:
        return ""
    return str(value)  # an amount as in the JSON: 2500, 1234.5 (no symbol, no separators)


def _own_id(prefix: str, name: str) -> str:
    """An id for a group with no registered number, made as the standard says: the publisher's
    prefix and the name, its spaces and punctuation turned to dashes."""
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-') or 'recipient'}"


def _page(community: Community) -> str | None:
    """The community's public page, where a grant's story is told; None without one."""
    base = public_url()
    return f"{base}/c/{community.slug}" if base and community.public_page else None


def _modified(session: Session, state: ledger.AllocationState, project: Project) -> datetime:
    """When anything the grant shows last changed: the allocation, its spending, its
    correction, or its project's recipient."""
    rows = session.execute(
        select(Spending.created_at, Correction.created_at)
        .outerjoin(Correction, Correction.spending_id == Spending.id)
        .where(Spending.allocation_id == state.allocation.id)
    ).all()
    times: list[datetime | None] = [state.allocation.created_at, project.updated_at]
    times += [t for row in rows for t in row]
    if state.correction is not None:
        times.append(state.correction.created_at)
    return max(t for t in times if t is not None)


def _stamp(value: datetime, community: Community) -> str:
    return local(value, community.timezone).isoformat(timespec="seconds")


def _by_id(session: Session, model: type[Idea], ids: set[int | None]) -> dict[int, Idea]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}
