"""Every table model, imported once so `SQLModel.metadata` is complete (Alembic, tests)."""

from sqlmodel import SQLModel

from service.accounts.models import Account, AccountCredential, AccountSteward
from service.audit.models import AuditEntry, AuditHead
from service.auth.models import ApiToken, WebSession
from service.consent.models import Consent, Guardian, Student
from service.findings.models import Finding, FindingSnapshot
from service.institution.models import Institution
from service.notifications.models import OutgoingMail
from service.posts.models import (
    Post,
    PostConsentUse,
    PostDecision,
    PostMedia,
    PostRevision,
    PostTarget,
)
from service.public.register_version import RegisterVersion
from service.publishing.models import PublishTarget
from service.reminders.models import ReminderSent
from service.scans.models import ScanRun
from service.users.models import User

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "AccountCredential",
    "AccountSteward",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Consent",
    "Finding",
    "FindingSnapshot",
    "Guardian",
    "Institution",
    "OutgoingMail",
    "Post",
    "PostConsentUse",
    "PostDecision",
    "PostMedia",
    "PostRevision",
    "PostTarget",
    "PublishTarget",
    "RegisterVersion",
    "ReminderSent",
    "ScanRun",
    "Student",
    "User",
    "WebSession",
    "metadata",
]
