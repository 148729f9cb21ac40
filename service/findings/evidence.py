"""The takedown evidence pack: one self-contained HTML page to attach to a platform's report.

The impostor's snapshots beside the official account, the reasons, times and hashes, and where
and how to report it. Images are embedded as data: URIs, so the file stands on its own.
"""

import base64
import unicodedata
from dataclasses import dataclass
from html import escape
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session

from service import clock, media
from service.accounts import service as accounts
from service.accounts.models import Account
from service.errors import Conflict
from service.findings.models import Finding, FindingSnapshot
from service.findings.service import get_finding, snapshots_of
from service.institution.models import Institution
from workflows import finding_lifecycle as lifecycle
from workflows.account_lifecycle import AccountStatus
from workflows.platforms import Platform


@dataclass(frozen=True)
class ReportForm:
    url: str
    instructions: str


REPORT_FORMS: dict[Platform, ReportForm] = {
    Platform.x: ReportForm(
        "https://help.x.com/forms/impersonation",
        "Choose “An account is pretending to be or represents my organization”, give the "
        "impostor's @handle and the official account's, and attach this pack.",
    ),
    Platform.facebook: ReportForm(
        "https://www.facebook.com/help/contact/169486816475808",
        "Report the page as impersonating your organization; give the impostor's page link and "
        "the official page's link, and attach this pack.",
    ),
    Platform.instagram: ReportForm(
        "https://help.instagram.com/contact/636276399721841",
        "Choose “an account is pretending to be my business or organization”; give the "
        "impostor's username and attach this pack.",
    ),
    Platform.youtube: ReportForm(
        "https://support.google.com/youtube/answer/2801947",
        "Use the impersonation form linked there; give the impostor channel's URL and your "
        "official channel's, and attach this pack.",
    ),
    Platform.tiktok: ReportForm(
        "https://www.tiktok.com/legal/report/impersonation",
        "Report as the organization being impersonated; give the impostor's profile link and "
        "attach this pack.",
    ),
}
GENERIC_FORM = ReportForm("", "Use the platform's impersonation report, and attach this pack.")

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;
vertical-align:top;text-align:left}.side{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
.card{border:1px solid #aaa;padding:1rem}img{max-width:128px;max-height:128px}
code{font-size:.8rem;word-break:break-all}
"""


def _data_uri(relative: str | None) -> str | None:
    if not relative:
        return None
    try:
        data = media.read_stored(relative)
    except OSError:
        return None
    kind = "jpeg" if relative.endswith((".jpg", ".jpeg")) else relative.rsplit(".", 1)[-1]
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def _img(relative: str | None, alt: str) -> str:
    uri = _data_uri(relative)
    return f'<img src="{uri}" alt="{escape(alt)}">' if uri else "<p>(no image)</p>"


def imitated_account(session: Session, finding: Finding) -> Account | None:
    """The official account the impostor comes closest to: same platform first."""
    official = accounts.list_accounts(session, status=AccountStatus.authorized)
    if not official:
        return None

    def closeness(account: Account) -> tuple[bool, float]:
        return (
            account.platform == finding.platform,
            fuzz.ratio(account.handle_key, finding.handle_key),
        )

    return max(official, key=closeness)


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in pairs)


def _with_lookalikes(text: str) -> str:
    """The text, and its non-ASCII letters by name: a Cyrillic e (U+0435) looks like a Latin e."""
    odd = sorted({c for c in text if not c.isascii() and c.isalpha()})
    if not odd:
        return escape(text)
    named = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in odd)
    return f"{escape(text)}<br><small>contains {escape(named)}</small>"


def _impostor(finding: Finding, snapshot: FindingSnapshot | None) -> str:
    profile = snapshot.profile if snapshot else {}
    pairs = [
        ("Handle", escape(f"@{finding.handle}")),
        ("Profile", f'<a href="{escape(finding.profile_url)}">{escape(finding.profile_url)}</a>'),
        ("Platform id", escape(finding.platform_account_id or "unknown")),
        ("Display name", _with_lookalikes(str(profile.get("display_name", finding.display_name)))),
        ("Bio", escape(str(profile.get("bio") or ""))),
        ("Link", escape(str(profile.get("url") or ""))),
        ("Created", escape(str(profile.get("created_at") or "unknown"))),
        ("Followers", escape(str(profile.get("followers") if profile else "unknown"))),
    ]
    if snapshot is not None:
        pairs += [
            ("Snapshot taken", escape(snapshot.taken_at.isoformat())),
            ("Snapshot SHA-256", f"<code>{snapshot.snapshot_sha256}</code>"),
            ("Image SHA-256", f"<code>{escape(snapshot.image_sha256 or 'no image')}</code>"),
        ]
    image = _img(snapshot.image_path if snapshot else None, "impostor's profile image")
    return f'<div class="card"><h2>Reported account</h2>{image}<table>{_rows(pairs)}</table></div>'


def official_logo(institution: Institution | None) -> dict[str, Any] | None:
    """The image that stands for the official side: the institution's first logo."""
    return institution.logos[0] if institution and institution.logos else None


def _official(institution: Institution | None, account: Account | None) -> str:
    logo = official_logo(institution)
    pairs = [("Institution", escape(institution.name if institution else ""))]
    if institution and institution.domains:
        pairs.append(("Web site", escape(", ".join(institution.domains))))
    if account is not None:
        since = account.authorized_at.date().isoformat() if account.authorized_at else "unknown"
        pairs += [
            ("Official account", escape(f"@{account.handle} on {account.platform}")),
            ("Profile", f'<a href="{escape(account.url)}">{escape(account.url)}</a>'),
            ("Display name", escape(account.display_name)),
            ("Official since", escape(since)),
        ]
    if logo:
        pairs.append(("Logo SHA-256", f"<code>{escape(str(logo.get('sha256', '')))}</code>"))
    image = _img(logo.get("path") if logo else None, "the institution's logo")
    return f'<div class="card"><h2>Official account</h2>{image}<table>{_rows(pairs)}</table></div>'


def _history(snapshots: list[FindingSnapshot]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s.taken_at.isoformat())}</td>"
        f"<td>{escape(str(s.profile.get('display_name', '')))}</td>"
        f"<td>{_img(s.image_path, 'profile image at the time')}</td>"
        f"<td><code>{s.snapshot_sha256}</code></td>"
        f"<td><code>{escape(s.image_sha256 or 'no image')}</code></td></tr>"
        for s in snapshots
    )
    head = "<tr><th>Seen</th><th>Display name</th><th>Image</th><th>Snapshot SHA-256</th>"
    return f"<h2>Every snapshot</h2><table>{head}<th>Image SHA-256</th></tr>{rows}</table>"


def evidence_pack(session: Session, finding_id: int) -> str:
    """The pack for a confirmed impostor; any other finding is a 409."""
    finding = get_finding(session, finding_id)
    if not lifecycle.evidence_pack_allowed(finding.status, finding.resolution):
        raise Conflict(
            f"Evidence packs are for confirmed impersonation; this finding is {finding.status}."
        )
    snapshots = snapshots_of(session, finding_id)
    institution = session.get(Institution, 1)
    form = REPORT_FORMS.get(finding.platform, GENERIC_FORM)
    link = f'<a href="{escape(form.url)}">{escape(form.url)}</a>' if form.url else ""
    reasons = "".join(f"<li>{escape(r)}</li>" for r in finding.reasons)
    facts = [
        ("Finding", escape(str(finding.id))),
        ("Status", escape(finding.status)),
        ("Verdict", escape(f"{finding.verdict}, score {finding.score:.2f}")),
        ("First seen", escape(finding.first_seen.isoformat())),
        ("Last seen", escape(finding.last_seen.isoformat())),
        ("Pack generated", escape(clock.now().isoformat())),
    ]
    title = f"Impersonation evidence: @{finding.handle} on {finding.platform}"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><table>{_rows(facts)}</table>"
        f"<div class='side'>{_impostor(finding, snapshots[0] if snapshots else None)}"
        f"{_official(institution, imitated_account(session, finding))}</div>"
        f"<h2>Why it is an impersonation</h2><ul>{reasons}</ul>"
        f"<h2>Report it</h2><p>{link}</p><p>{escape(form.instructions)}</p>"
        f"{_history(snapshots)}"
        "<p>Each snapshot's SHA-256 is computed over its time, profile and image hash as "
        "canonical JSON; the image hash is of the image file as downloaded.</p>"
        "</body></html>"
    )
