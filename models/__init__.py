"""Typed SQLAlchemy models of Common Purse. Imports nothing else of ours."""

from models.announcement import Announcement
from models.audit import AuditEntry
from models.base import Base, rowcount, table_of, utcnow
from models.call import Call
from models.chain import ChainLink
from models.community import VERIFICATION_RULES, Community
from models.consent import ConsentEvent
from models.council import Council, CouncilDigest, CouncilOfficer
from models.digest import Digest, SchedulerLease
from models.form_use import FormUse
from models.idea import IDEA_STATUSES, Idea
from models.inbox import InboxMessage, InboxThread
from models.message import InboundLog, OutboxMessage, PendingAnswer
from models.money import Allocation, BudgetUpdate, Spending
from models.organiser import ApiToken, Organiser, OrganiserSession
from models.project import Project, ProjectUpdate
from models.referral import CouncilService, Referral, ReferralReply
from models.resident import Conversation, Identity, Resident
from models.round import (
    ROUND_METHODS,
    ROUND_RULES,
    ROUND_STATUSES,
    Ballot,
    ReplacedReceipt,
    Round,
    RoundOption,
)
from models.send_pace import SendPace
from models.sign_in import SignInAttempt
from models.telegram import PollingOffset, TelegramChat
from models.two_factor import RecoveryCode
from models.whatsapp import WhatsAppTemplate

__all__ = [
    "Allocation",
    "Announcement",
    "AuditEntry",
    "ApiToken",
    "Ballot",
    "ChainLink",
    "Call",
    "Base",
    "BudgetUpdate",
    "Community",
    "CouncilService",
    "ConsentEvent",
    "Conversation",
    "Council",
    "CouncilDigest",
    "CouncilOfficer",
    "Digest",
    "FormUse",
    "IDEA_STATUSES",
    "Idea",
    "Identity",
    "InboxMessage",
    "InboxThread",
    "InboundLog",
    "Organiser",
    "OrganiserSession",
    "OutboxMessage",
    "PendingAnswer",
    "PollingOffset",
    "Project",
    "ProjectUpdate",
    "ROUND_METHODS",
    "ROUND_RULES",
    "ROUND_STATUSES",
    "RecoveryCode",
    "Referral",
    "ReferralReply",
    "ReplacedReceipt",
    "Resident",
    "Round",
    "RoundOption",
    "SchedulerLease",
    "SendPace",
    "SignInAttempt",
    "Spending",
    "TelegramChat",
    "VERIFICATION_RULES",
    "WhatsAppTemplate",
    "rowcount",
    "table_of",
    "utcnow",
]
