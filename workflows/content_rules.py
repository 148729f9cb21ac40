"""The social media policy's content rules (DESIGN.md "Policy → rules") over one submission.

Each rule cites the clause it enforces and either passes, blocks, or names the approver the
policy requires, with a message that says what was found, where, and what to do — it is read
by the author fixing the post and by the approver deciding on it. Rules are independent; the
posts service combines their outcomes. Text scanning lives in `workflows.text_checks`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from workflows.text_checks import (
    SECRET_KINDS,
    Confidential,
    ConfidentialFinding,
    NameReference,
    find_confidential,
    find_student_references,
    where,
)

PASS = "pass"  # noqa: S105 - an outcome, not a password  # nosec B105
BLOCK = "block"
NEEDS_SITE_ADMIN = "needs:site_admin"
NEEDS_DESIGNEE = "needs:designee"


class Depicts(StrEnum):
    none = "none"
    group = "group"
    individual = "individual"


class ConsentScope(StrEnum):
    photo = "photo"
    name = "name"


@dataclass(frozen=True)
class RosterStudent:
    """`consents` holds only scopes with a valid written consent right now: the caller has
    already dropped expired and revoked ones. `student_number` is confidential and never
    appears in a message."""

    student_id: int
    full_name: str
    preferred_name: str | None
    student_number: str | None
    consents: frozenset[ConsentScope]


@dataclass(frozen=True)
class TargetAccount:
    account_id: int
    label: str
    status: str
    steward_ids: frozenset[int]


@dataclass(frozen=True)
class MediaItem:
    """`depicts` and `student_ids` are the author's declaration; `faces_detected` is the
    detector's check on it (None when not an image or not run)."""

    media_id: int
    filename: str
    depicts: Depicts
    student_ids: tuple[int, ...]
    faces_detected: int | None


@dataclass(frozen=True)
class ThirdPartyMaterial:
    description: str
    permission_recorded: bool


@dataclass(frozen=True)
class Submission:
    """`public_phone_numbers` are digits only; `student_number_pattern` is the institution's
    regex for its student ids."""

    author_id: int
    text: str
    targets: tuple[TargetAccount, ...]
    media: tuple[MediaItem, ...]
    roster: tuple[RosterStudent, ...]
    third_party: tuple[ThirdPartyMaterial, ...] = ()
    visibility: str = "public"
    institution_domains: frozenset[str] = frozenset()
    public_phone_numbers: frozenset[str] = frozenset()
    student_number_pattern: str | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: str
    clause: str
    outcome: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.outcome == BLOCK

    @property
    def needed_role(self) -> str | None:
        prefix, _, role = self.outcome.partition(":")
        return role if prefix == "needs" and role else None


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    check: Callable[[Submission], RuleResult]


# What a rule decides: an outcome and the message that explains it.
Verdict = tuple[str, str]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _media_name(item: MediaItem) -> str:
    return item.filename or f"media item #{item.media_id}"


def _check_account(s: Submission) -> Verdict:
    if not s.targets:
        return (BLOCK, "No account chosen: choose at least one official account.")
    problems = []
    for target in s.targets:
        reasons = []
        if target.status != "authorized":
            reasons.append(f"it is {target.status or 'not in the register'}, not authorized")
        if s.author_id not in target.steward_ids:
            reasons.append("the author is not one of its stewards")
        if reasons:
            problems.append(f"{target.label} ({'; '.join(reasons)})")
    if problems:
        return (
            BLOCK,
            f"Cannot publish to {', '.join(problems)}. Only accounts the superintendent has "
            "authorized publish for the school, and only through their stewards.",
        )
    labels = ", ".join(t.label for t in s.targets)
    return (PASS, f"{labels}: authorized, and the author is a steward.")


def _individual_reason(item: MediaItem) -> str | None:
    name = _media_name(item)
    if item.depicts == Depicts.individual:
        return f"{name} is declared as showing an individual student"
    if item.depicts == Depicts.group and len(set(item.student_ids)) == 1:
        return f"{name} is declared as a group photo but names only one student"
    if item.depicts == Depicts.group and item.faces_detected == 1:
        return f"{name} is declared as a group photo but only one face was found in it"
    return None


def _check_individual(s: Submission) -> Verdict:
    reasons = [r for r in map(_individual_reason, s.media) if r]
    if reasons:
        return (
            BLOCK,
            f"{'; '.join(reasons)}. The policy says never to take a photo of an individual "
            "student; this cannot be overridden by any approver. Remove it, or use a photo "
            "of a group.",
        )
    return (PASS, "No photo or video shows an individual student.")


def _group_problem(item: MediaItem, roster: dict[int, RosterStudent]) -> str | None:
    name = _media_name(item)
    ids = list(dict.fromkeys(item.student_ids))
    if not ids:
        return f"{name} is a group photo but names no students: name the depicted students"
    unknown = [f"#{i}" for i in ids if i not in roster]
    known = [roster[i] for i in ids if i in roster]
    missing = [st.full_name for st in known if ConsentScope.photo not in st.consents]
    problems = []
    if missing:
        problems.append(f"no written photo consent on file for {', '.join(missing)}")
    if unknown:
        problems.append(f"students {', '.join(unknown)} are not on the roster")
    return f"{name}: {'; '.join(problems)}" if problems else None


def _group_review(item: MediaItem) -> str:
    named = len(set(item.student_ids))
    note = f"{_media_name(item)} shows {_plural(named, 'student')}, all with photo consent"
    if item.faces_detected is not None and item.faces_detected > named:
        note += (
            f", but {_plural(item.faces_detected, 'face')} were found: confirm that the "
            "others are not students, or name them"
        )
    return note


def _check_group(s: Submission) -> Verdict:
    roster = {student.student_id: student for student in s.roster}
    problems: list[str] = []
    reviews: list[str] = []
    for item in s.media:
        if item.depicts == Depicts.group:
            problem = _group_problem(item, roster)
            if problem:
                problems.append(problem)
            else:
                reviews.append(_group_review(item))
        elif item.depicts == Depicts.none and (item.faces_detected or 0) > 0:
            reviews.append(
                f"{_plural(item.faces_detected or 0, 'face')} found in {_media_name(item)} "
                "although it was declared as showing no students; a site administrator "
                "must confirm no student is shown"
            )
    if problems:
        return (
            BLOCK,
            f"{'; '.join(problems)}. Every student in a photo or video needs a parent or "
            "guardian's written photo consent on file.",
        )
    if reviews:
        return (
            NEEDS_SITE_ADMIN,
            f"Needs approval by a site administrator or the superintendent: {'; '.join(reviews)}.",
        )
    return (PASS, "No photo or video of a group of students.")


def _describe_reference(ref: NameReference) -> str:
    named = f'"{ref.matched}"'
    if ref.matched.casefold() != ref.full_name.casefold():
        named += f" ({ref.full_name})"
    return f"{named} at {where(ref.start, ref.end)}"


def _check_references(s: Submission) -> Verdict:
    roster = {student.student_id: student for student in s.roster}
    refs = find_student_references(s.text, s.roster)
    missing = [r for r in refs if ConsentScope.name not in roster[r.student_id].consents]
    if missing:
        return (
            BLOCK,
            f"The text names students without written consent to use their name: "
            f"{'; '.join(map(_describe_reference, missing))}. Remove the names, or record a "
            "parent or guardian's written consent first.",
        )
    if refs:
        named = "; ".join(map(_describe_reference, refs))
        return (PASS, f"Names students with written name consent: {named}.")
    return (PASS, "No student on the roster is named in the text.")


_KINDS = {
    Confidential.ssn: "a Social Security number",
    Confidential.student_number: "a student number",
    Confidential.date_of_birth: "a date of birth",
    Confidential.email: "a personal email address",
    Confidential.phone: "a phone number",
    Confidential.street_address: "a street address",
    Confidential.grades_or_health: "grade or health information",
}


def _describe_finding(f: ConfidentialFinding) -> str:
    at = where(f.start, f.end)
    if f.kind in SECRET_KINDS:
        return f"{_KINDS[f.kind]} at {at} (value hidden)"
    about = f" about {f.student}" if f.student else ""
    return f'{_KINDS[f.kind]} ("{f.shown}"){about} at {at}'


def _check_confidential(s: Submission) -> Verdict:
    findings = find_confidential(
        s.text,
        find_student_references(s.text, s.roster),
        student_numbers=(st.student_number for st in s.roster if st.student_number),
        student_number_pattern=s.student_number_pattern,
        institution_domains=s.institution_domains,
        public_phone_numbers=s.public_phone_numbers,
    )
    if found := [_describe_finding(f) for f in findings]:
        return (
            BLOCK,
            f"The text discloses confidential details: {'; '.join(found)}. Remove them; "
            "confidential details are never published.",
        )
    return (PASS, "No confidential details found in the text.")


def _check_third_party(s: Submission) -> Verdict:
    missing = [
        m.description or "undescribed material" for m in s.third_party if not m.permission_recorded
    ]
    if missing:
        return (
            BLOCK,
            f"No permission from the owner is recorded for: {'; '.join(missing)}. Record the "
            "owner's permission, or remove the material.",
        )
    if s.third_party:
        return (PASS, "Permission is recorded for all third-party material.")
    return (PASS, "No third-party material declared.")


def _check_release(_: Submission) -> Verdict:
    return (
        NEEDS_DESIGNEE,
        "Needs approval by the superintendent or a designee who is not the author.",
    )


def _check_channel(s: Submission) -> Verdict:
    if s.visibility.strip().casefold() != "public":
        return (
            BLOCK,
            f"Visibility is {s.visibility!r}: official accounts publish public posts only; "
            "no private messages.",
        )
    return (PASS, "A public post.")


def _rule(rule_id: str, clause: str, decide: Callable[[Submission], Verdict]) -> Rule:
    def check(submission: Submission) -> RuleResult:
        return RuleResult(rule_id, clause, *decide(submission))

    return Rule(rule_id, clause, check)


RULES: tuple[Rule, ...] = (
    _rule("account.authorized", "Official Use of Social Media", _check_account),
    _rule("media.individual_student", "Expectations of Staff, item 3", _check_individual),
    _rule("media.group_students", "Expectations of Staff, items 3 and 4", _check_group),
    _rule("text.student_reference", "Expectations of Staff, item 5", _check_references),
    _rule("text.confidential", "Expectations of Staff, items 5 and 6", _check_confidential),
    _rule("content.third_party", "Expectations of Staff, item 7", _check_third_party),
    _rule("release.approver", "Expectations of Staff, item 6", _check_release),
    _rule("channel.public_only", "Expectations of Staff, items 1 and 2", _check_channel),
)


def check_submission(submission: Submission) -> list[RuleResult]:
    """Every rule, in RULES order; callers decide what the combination means."""
    return [rule.check(submission) for rule in RULES]
