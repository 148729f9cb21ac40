"""One invocation of a scan run: call the platform step by step within the call budget, score
what it returns, record findings, and save progress after every step.

A step's findings and its place in `progress` are committed before the next call, so a run
that stops (budget, rate limit, a platform that keeps failing, crash) is continued later from
the next step; repeating a step after a crash is harmless, as recording a sighting is idempotent.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError

import connectors
from connectors import Connector, Profile
from service import clock
from service.db import session_scope
from service.errors import Conflict
from service.findings.record import Outcome, Sighting, account_key, record_sighting
from service.observability import FINDINGS
from service.scans import discovery
from service.scans.discovery import Register, Step
from service.scans.images import fetch_image
from service.scans.models import COUNTERS, ScanRun, ScanStatus
from service.settings import get_settings
from workflows.impersonation import (
    NEEDS_ACTION,
    CandidateProfile,
    FingerprintCache,
    ImageFingerprint,
    InstitutionProfile,
    build_name_model,
    score_profiles,
)

log = structlog.get_logger()
Progress = Callable[[int, int, str], None]
MAX_ERRORS = 50
RECORD_ATTEMPTS = 3
STEP_ATTEMPTS = 3  # tries of a step that fails transiently...
BACKOFF_SECONDS = 2.0  # ...pausing 2 s, then 4 s, between them
UNAVAILABLE_PAUSE = timedelta(minutes=5)  # then the run stops and waits this long


class ScanFailed(Exception):
    """The run cannot go on (no institution, no connector, bad credentials): a person acts."""


@dataclass
class Context:
    connector: Connector
    institution: InstitutionProfile
    names: list[str]
    register: Register
    steps: list[Step]
    cache: FingerprintCache = field(default_factory=FingerprintCache)


def candidate_profile(profile: Profile, image: ImageFingerprint | None) -> CandidateProfile:
    return CandidateProfile(
        id=profile.key,
        platform=str(profile.platform),
        handle=profile.handle,
        display_name=profile.display_name,
        bio=profile.bio,
        url=profile.url,
        location=profile.location,
        created_at=profile.created_at,
        followers=profile.followers,
        verified=profile.verified,
        image=image,
    )


class Runner:
    def __init__(self, run: ScanRun, context: Context, budget: int, progress: Progress | None):
        assert run.id is not None
        self.run_id = run.id
        self.context = context
        self.budget = budget
        self.progress = progress
        self.model = build_name_model(context.institution)
        self.done: set[str] = set(run.progress.get("done", []))
        self.seen: set[str] = set(run.progress.get("seen", []))
        self.counts: Counter[str] = Counter(dict.fromkeys(COUNTERS, 0))
        self.counts.update(run.counts)
        self.errors: list[str] = list(run.errors)
        self.calls = 0  # this invocation's, against the budget
        self.denied: set[str] = set()  # step kinds the platform refuses us
        self.notify: list[int] = []
        self.status = ScanStatus.finished
        self.retry_at: datetime | None = None
        self.threshold = get_settings().finding_notify_threshold

    def _error(self, message: str) -> None:
        if message not in self.errors and len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def run(self) -> None:
        steps = self.context.steps
        todo = [s for s in steps if s.key not in self.done]
        for step in todo:
            if step.kind in self.denied:
                self._save(step)
                continue
            if self._budget_spent():
                break
            profiles, complete = self._call(step)
            self._process(profiles)
            self._save(step if complete else None)
            if self.progress is not None:
                self.progress(len(self.done & {s.key for s in steps}), len(steps), step.label)
            if self.status is not ScanStatus.finished:
                break

    def _budget_spent(self) -> bool:
        """Whether another call would pass the budget: the run then stops, and the next one
        continues (a retry counts as a call, so failures never take a run past its budget)."""
        if self.calls + 1 <= self.budget:
            return False
        self.status = ScanStatus.budget_exhausted
        self._error(f"stopped at the budget of {self.budget} API calls; continues next run")
        return True

    def _call(self, step: Step) -> tuple[list[Profile], bool]:
        """The step's profiles, and whether it is done (False: make it again next time).

        A transient failure (5xx, timeout, unreadable answer) is tried again after a pause;
        one that persists stops the run until `UNAVAILABLE_PAUSE` has passed. Skipping the
        step instead would lose whatever it would have found."""
        failure: connectors.PlatformError | None = None
        for attempt in range(STEP_ATTEMPTS):
            if failure is not None:
                if self._budget_spent():
                    return [], False
                clock.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                return self._attempt(step)
            except connectors.PlatformError as error:
                failure = error
        self.status, self.retry_at = ScanStatus.unavailable, clock.now() + UNAVAILABLE_PAUSE
        self._error(f"{step.label}: {failure}; continues after {self.retry_at}")
        return [], False

    def _attempt(self, step: Step) -> tuple[list[Profile], bool]:
        """One try at the step; raises only a transient `PlatformError`."""
        connector = self.context.connector
        before = connector.api_calls
        try:
            if step.kind == "query":
                found = connector.search_accounts(step.query)
            else:
                found = connector.lookup_handles(step.handles)
            self.counts["queries" if step.kind == "query" else "lookups"] += 1
            return found, True
        except connectors.RateLimited as limited:
            self.status, self.retry_at = ScanStatus.rate_limited, limited.retry_at
            self._error(f"rate limited during {step.label}; continues after {limited.retry_at}")
            return list(limited.partial), False
        except connectors.PermissionMissing as missing:
            self.denied.add(step.kind)
            self._error(f"{missing}; {step.kind} steps skipped")
            return [], True
        except connectors.AuthError as error:
            raise ScanFailed(str(error)) from error
        except connectors.ConnectorError as error:
            if isinstance(error, connectors.PlatformError) and error.retryable:
                raise
            self._error(f"{step.label}: {error}")
            return [], True
        finally:
            used = connector.api_calls - before
            self.calls += used
            self.counts["api_calls"] += used

    def _fetch(self, profile: Profile) -> tuple[bytes | None, ImageFingerprint | None]:
        simulated = self.context.connector.name == "simulated"
        data = fetch_image(profile.profile_image_url, allow_files=simulated)
        return data, self.context.cache.fingerprint(data) if data else None

    def _process(self, profiles: list[Profile]) -> None:
        fresh: list[tuple[Profile, bytes | None, ImageFingerprint | None]] = []
        context = self.context
        for profile in profiles:
            key = f"{profile.platform}:{account_key(profile)}"
            if key in self.seen:
                continue
            self.seen.add(key)
            image, fingerprint = self._fetch(profile)
            if context.register.holds(profile):
                if fingerprint is not None:  # its avatar becomes a reference for copies
                    context.institution = discovery.with_account_image(
                        context.institution, profile, fingerprint
                    )
                continue
            fresh.append((profile, image, fingerprint))
        if not fresh:
            return
        self.counts["candidates"] += len(fresh)
        candidates = [candidate_profile(p, fp) for p, _, fp in fresh]
        assessments = score_profiles(
            context.institution, candidates, now=clock.now(), model=self.model
        )
        self.counts["flagged"] += sum(a.verdict in NEEDS_ACTION for a in assessments)
        for assessment in assessments:
            FINDINGS.labels(assessment.verdict).inc()
        for (profile, image, fingerprint), assessment in zip(fresh, assessments, strict=True):
            sighting = Sighting(
                profile,
                assessment.verdict,
                assessment.score,
                assessment.reasons,
                image,
                fingerprint,
            )
            self._record(sighting)

    def _record(self, sighting: Sighting) -> None:
        for attempt in range(RECORD_ATTEMPTS):
            try:
                with session_scope() as session:
                    outcome, finding = record_sighting(session, sighting, names=self.context.names)
                    finding_id = finding.id if finding else None
                break
            except (Conflict, IntegrityError) as error:  # another scan got there first
                if attempt == RECORD_ATTEMPTS - 1:
                    self._error(f"@{sighting.profile.handle}: not recorded ({error})")
                    return
        if outcome in (Outcome.new, Outcome.updated, Outcome.reopened):
            self.counts[outcome.value] += 1
        notable = outcome in (Outcome.new, Outcome.reopened) and sighting.score >= self.threshold
        if notable and finding_id is not None:
            self.notify.append(finding_id)

    def _save(self, step: Step | None) -> None:
        if step is not None:
            self.done.add(step.key)
        with session_scope() as session:
            run = session.get(ScanRun, self.run_id)
            assert run is not None
            run.counts = dict(self.counts)
            run.errors = list(self.errors)
            run.progress = {"done": sorted(self.done), "seen": sorted(self.seen)}
            run.heartbeat_at = clock.now()
            session.add(run)
