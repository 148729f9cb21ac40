"""The periodic jobs, listed once: `serve` runs them itself (the embedded default) and Celery
beat sends them to workers (production), each every so many seconds of its setting.

Importing this module also imports every module that defines a job, so each `@job` function
is registered before Celery turns the registry into tasks.
"""

from collections.abc import Callable

from service.accounts import dormancy
from service.notifications import service as notifications
from service.posts import expiry
from service.publishing import service as publishing
from service.reminders import service as reminders
from service.scans import service as scans

# Beat entry -> (job, the setting that holds its interval in seconds).
PERIODIC: dict[str, tuple[Callable[[], object], str]] = {
    "publish-due": (publishing.publish_due, "publish_interval_seconds"),
    "deliver-mail": (notifications.deliver_in_own_session, "mail_interval_seconds"),
    "send-reminders": (reminders.send_reminders, "reminder_interval_seconds"),
    "run-due-scans": (scans.run_due_scans, "scan_check_interval_seconds"),
    "check-dormancy": (dormancy.check_dormancy, "dormancy_interval_seconds"),
    "check-approvals": (expiry.check_approvals, "approval_check_interval_seconds"),
}
