"""Funded projects after the vote: their status, organisers' updates, and news to supporters.

Every funded idea is a project, numbered as the idea. Its row is made when organisers first
write about it; until then it is a project in status funded with no updates, so closing a round
needs to know nothing of projects and reading them never writes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import audit, grant_data
from bot.domain.communities import MAX_NUMBER, lock_community
from bot.domain.notify import notify
from bot.domain.whatsapp import Template
from bot.errors import InvalidInput, NotFound
from bot.text.clean import visible
from bot.text.organiser_text import plain, refuse_controls
from models import Ballot, Community, Idea, Project, ProjectUpdate, Resident, Round, RoundOption
from models.states import IdeaStatus, ProjectStatus, ResidentStatus, RoundStatus

MAX_NOTE = 1000
_FORWARD = (ProjectStatus.FUNDED, ProjectStatus.IN_PROGRESS, ProjectStatus.DELIVERED)


@dataclass(frozen=True)
class ProjectView:
    """A funded idea as a project, whether or not organisers have written about it yet."""

    idea: Idea
    project: Project | None
    updates: tuple[ProjectUpdate, ...]  # oldest first

    @property
    def number(self) -> int:
        return self.idea.number

    @property
    def title(self) -> str:
        return visible(self.idea.text)  # it goes to residents and on pages

    @property
    def status(self) -> ProjectStatus:
        return ProjectStatus(self.project.status) if self.project else ProjectStatus.FUNDED

    @property
    def latest_news(self) -> ProjectUpdate | None:
        """The newest update with words in it (a change of status alone is no news)."""
        return next((u for u in reversed(self.updates) if u.text), None)


@dataclass(frozen=True)
class Posted:
    view: ProjectView
    update: ProjectUpdate | None  # None: it was all recorded already, nothing changed
    notified: int  # supporters queued the news that it is delivered


def words(status: str) -> str:
    """A status as organisers read and type it: "in progress"."""
    return status.replace("_", " ")


def parse_status(text: str) -> ProjectStatus:
    """ "in-progress", "In progress" or "in_progress" as a status; InvalidInput otherwise."""
    wanted = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    try:
        return ProjectStatus(wanted)
    except ValueError:
        choices = ", ".join(s.value.replace("_", "-") for s in ProjectStatus)
        raise InvalidInput(
            f"{text.strip()!r} is not a project status: use one of {choices}", field="status"
        ) from None


def projects_of(session: Session, community: Community) -> list[ProjectView]:
    """Every funded idea of the community as a project, by number."""
    ideas = list(
        session.scalars(
            select(Idea)
            .where(Idea.community_id == community.id, Idea.status == IdeaStatus.FUNDED)
            .order_by(Idea.number)
        )
    )
    rows = {
        p.idea_id: p for p in session.scalars(select(Project).where(Project.community_id == community.id))
    }
    updates: dict[int, list[ProjectUpdate]] = {}
    for update in session.scalars(
        select(ProjectUpdate).where(ProjectUpdate.community_id == community.id).order_by(ProjectUpdate.id)
    ):
        updates.setdefault(update.project_id, []).append(update)
    return [
        ProjectView(
            idea, rows.get(idea.id), tuple(updates.get(rows[idea.id].id, ())) if idea.id in rows else ()
        )
        for idea in ideas
    ]


def project_by_number(session: Session, community: Community, number: int) -> ProjectView:
    """Project `number` (its idea's number); NotFound, naming the funded ones, if there is none."""
    views = projects_of(session, community)
    found = next((v for v in views if v.number == number), None) if number <= MAX_NUMBER else None
    if found is None:
        funded = ", ".join(str(v.number) for v in views) or "none yet"
        raise NotFound(f"no project {number} in {community.slug} (funded projects: {funded})")
    return found


def post_update(
    session: Session,
    community: Community,
    number: int,
    *,
    status: str | None,
    note: str | None,
    now: datetime,
) -> Posted:
    """Record a note, a new status, or both on project `number`, signed by the organiser acting.
    Status only moves forward (funded, in progress, delivered) or to cancelled, and never after
    cancelled. Becoming delivered tells each supporter once. The same update again changes nothing."""
    new = parse_status(status) if status is not None and status.strip() else None
    text = _note(note)
    if new is None and text is None:
        raise InvalidInput("an update needs a status, a note, or both")
    lock_community(session, community)  # one row per project, and one update of it at a time
    view = project_by_number(session, community, number)
    moved = new if new is not None and new != view.status else None  # the status, if it changes
    changes = moved is not None
    if moved is not None:
        _check_move(number, view.status, moved)
    if not changes and (text is None or (view.updates and view.updates[-1].text == text)):
        return Posted(view, None, 0)
    project = view.project or _make(session, community, view.idea, now)
    update = ProjectUpdate(
        community_id=community.id,
        project_id=project.id,
        text=text,
        status=new if changes else None,
        organiser_email=_organiser(),
        created_at=now,
    )
    session.add(update)
    if moved is not None:
        project.status = moved
    project.updated_at = now
    session.flush()
    after = ProjectView(view.idea, project, (*view.updates, update))
    notified = 0
    if changes and new == ProjectStatus.DELIVERED:
        notified = _tell_supporters(session, community, after, project, text or "", now)
    return Posted(after, update, notified)


def set_recipient(
    session: Session, community: Community, number: int, *, name: str, org_id: str | None, now: datetime
) -> Project:
    """Record who delivers project `number`, the recipient its open grant data names: the
    organisation's name, and its org-id (None: a group with no registered number)."""
    name = grant_data.org_name(name, "the recipient's name")
    org = grant_data.org_id(org_id, "the recipient's id") if org_id and org_id.strip() else None
    lock_community(session, community)
    view = project_by_number(session, community, number)
    project = view.project or _make(session, community, view.idea, now)
    if (project.recipient_org_name, project.recipient_org_id) != (name, org):
        project.recipient_org_name, project.recipient_org_id = name, org
        project.updated_at = now
        session.flush()
    return project


def supporters(session: Session, idea: Idea) -> list[Resident]:
    """Residents whose ballot chose the idea in the closed round that funded it."""
    rows = session.execute(
        select(Round, RoundOption.number)
        .join(RoundOption, RoundOption.round_id == Round.id)
        .where(RoundOption.idea_id == idea.id, Round.status == RoundStatus.CLOSED, Round.imported.is_(False))
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).all()
    won = next(((r, n) for r, n in rows if n in ((r.outcome or {}).get("winners") or ())), None)
    if won is None:
        return []
    round_, option = won
    ballots = session.execute(
        select(Ballot.resident_id, Ballot.choices).where(
            Ballot.round_id == round_.id, Ballot.resident_id.is_not(None)
        )
    ).all()
    ids = [resident_id for resident_id, choices in ballots if option in (choices or ())]
    if not ids:
        return []
    return list(session.scalars(select(Resident).where(Resident.id.in_(ids)).order_by(Resident.id)))


def to_tell_when_delivered(session: Session, view: ProjectView) -> int:
    """How many supporters marking the project delivered would tell now (not those who stopped)."""
    return sum(
        1 for r in supporters(session, view.idea) if r.status == ResidentStatus.ACTIVE and not r.opted_out
    )


def _tell_supporters(
    session: Session, community: Community, view: ProjectView, project: Project, update: str, now: datetime
) -> int:
    """Tell each supporter who can hear it that the project is delivered, once ever; returns
    how many were queued now."""
    sent = 0
    for resident in supporters(session, view.idea):
        if (
            notify(
                session,
                community,
                resident,
                "project_delivered",
                now,
                number=view.number,
                title=view.title,
                update=update,
                key=f"project-delivered:{project.id}:{resident.id}",
                template=Template(
                    "project_news",
                    lambda language: dict(
                        community=community.name, number=view.number, title=view.title, update=update
                    ),
                ),
            )
            is not None
        ):
            sent += 1
    return sent


def _make(session: Session, community: Community, idea: Idea, now: datetime) -> Project:
    project = Project(
        community_id=community.id,
        idea_id=idea.id,
        number=idea.number,
        status=ProjectStatus.FUNDED,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    session.flush()
    return project


def _check_move(number: int, current: ProjectStatus, new: ProjectStatus) -> None:
    if current == ProjectStatus.CANCELLED:
        raise InvalidInput(f"project {number} was cancelled: its status cannot change", field="status")
    if new == ProjectStatus.CANCELLED:
        if current == ProjectStatus.DELIVERED:
            raise InvalidInput(f"project {number} is delivered: it cannot be cancelled", field="status")
        return
    if _FORWARD.index(new) < _FORWARD.index(current):
        raise InvalidInput(
            f"project {number} is {words(current)}: it cannot go back to {words(new)}", field="status"
        )


def _note(note: str | None) -> str | None:
    text = plain(refuse_controls(note or "", "the note"))
    if len(text) > MAX_NOTE:
        raise InvalidInput(
            f"a note is at most {MAX_NOTE} characters (this one has {len(text)})", field="note"
        )
    return text or None


def _organiser() -> str | None:
    """The organiser acting, as the audit trail knows them; None for "cli" or nobody."""
    actor = audit.current_actor() or ""
    return actor[:200] if "@" in actor else None


def project_json(session: Session, view: ProjectView) -> dict[str, Any]:
    """A project for the CLI's --json and the API: no supporter is named, only counted."""
    return {
        "number": view.number,
        "title": view.title,
        "status": view.status.value,
        "supporters": len(supporters(session, view.idea)),
        "updated_at": view.project.updated_at.isoformat() if view.project else None,
        "updates": [
            {
                "text": u.text,
                "status": u.status,
                "organiser": u.organiser_email,
                "created_at": u.created_at.isoformat(),
            }
            for u in view.updates
        ],
    }
