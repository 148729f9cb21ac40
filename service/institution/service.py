"""Reading and changing the institution profile, and its YAML import/export.

The YAML format is the one of `shared/eval/impersonation/dev/institution.yaml`: logos are
paths relative to the file, `official_accounts` are the register as the superintendent
declares it (imported as authorized, each audited).
"""

import shutil
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from service import clock, media
from service.accounts import service as accounts
from service.audit import service as audit
from service.errors import Invalid, NotFound
from service.institution.models import Institution, InstitutionFields, InstitutionUpdate
from workflows.account_lifecycle import AccountStatus
from workflows.profile_urls import ProfileUrlError, normalize_handle

MAX_LOGO_BYTES = 5 * 1024 * 1024
LOGO_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}


class OfficialAccountEntry(BaseModel):
    platform: str
    handle: str
    display_name: str = ""


class ProfileFile(InstitutionUpdate):
    logos: list[str] = Field(default_factory=list)
    official_accounts: list[OfficialAccountEntry] = Field(default_factory=list)


def get_institution(session: Session) -> Institution:
    institution = session.get(Institution, 1)
    if institution is None:
        raise NotFound(
            "No institution profile yet; import one with `imprimatur institution import`."
        )
    return institution


def institution_name(session: Session) -> str | None:
    institution = session.get(Institution, 1)
    return institution.name if institution else None


def _state(institution: Institution | None) -> dict[str, Any] | None:
    if institution is None:
        return None
    return institution.model_dump(exclude={"id", "updated_at"})


def _save(
    session: Session, *, actor: str, fields: InstitutionFields, logos: list[dict[str, Any]] | None
) -> Institution:
    institution = session.get(Institution, 1)
    before = _state(institution)
    values = fields.model_dump(include=set(InstitutionFields.model_fields))
    if institution is None:
        institution = Institution(**values, logos=logos or [], updated_at=clock.now())
    else:
        for key, value in values.items():
            setattr(institution, key, value)
        if logos is not None:
            institution.logos = logos
        institution.updated_at = clock.now()
    session.add(institution)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="institution.updated",
        subject_type="institution",
        subject_id=1,
        before=before,
        after=_state(institution),
    )
    return institution


def update_institution(session: Session, *, actor: str, data: InstitutionUpdate) -> Institution:
    return _save(session, actor=actor, fields=data, logos=None)


def read_profile_file(path: Path) -> ProfileFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise Invalid(f"Cannot read {path}: {error}") from error
    try:
        return ProfileFile.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in error.errors()
        )
        raise Invalid(f"{path} is not a valid institution profile: {problems}") from error


def _store_logo(base_dir: Path, relative: str) -> dict[str, Any]:
    path = (base_dir / relative).resolve()
    if path.suffix.lower() not in LOGO_SUFFIXES:
        raise Invalid(f"Logo {relative}: use one of {', '.join(sorted(LOGO_SUFFIXES))}.")
    if not path.is_file():
        raise Invalid(f"Logo {relative} does not exist (looked at {path}).")
    data = path.read_bytes()
    if len(data) > MAX_LOGO_BYTES:
        raise Invalid(f"Logo {relative} is larger than {MAX_LOGO_BYTES // 1024 // 1024} MB.")
    stored = media.store_bytes(data, folder="logos", suffix=path.suffix)
    return {"sha256": stored.sha256, "path": stored.path, "filename": path.name}


def import_profile(session: Session, *, actor: str, path: Path) -> Institution:
    """All or nothing: a bad logo or handle anywhere leaves the database as it was."""
    profile = read_profile_file(path)
    refs = []
    for entry in profile.official_accounts:
        try:
            refs.append((normalize_handle(entry.platform, entry.handle), entry.display_name))
        except ProfileUrlError as error:
            raise Invalid(
                f"official_accounts: {entry.platform} @{entry.handle}: {error}"
            ) from error
    logos = [_store_logo(path.parent, logo) for logo in profile.logos]
    institution = _save(session, actor=actor, fields=profile, logos=logos)
    for ref, display_name in refs:
        accounts.register_official(session, actor=actor, ref=ref, display_name=display_name)
    return institution


def export_profile(session: Session, path: Path) -> None:
    """Write the profile beside its logos (`logos/` next to the file), ready to import again."""
    institution = get_institution(session)
    logo_dir = path.parent / "logos"
    logo_paths = []
    for logo in institution.logos:
        logo_dir.mkdir(parents=True, exist_ok=True)
        target = logo_dir / logo["filename"]
        shutil.copyfile(media.media_root() / logo["path"], target)
        logo_paths.append(target.relative_to(path.parent).as_posix())
    document = {
        **institution.model_dump(include=set(InstitutionFields.model_fields)),
        "logos": logo_paths,
        "official_accounts": [
            {"platform": str(a.platform), "handle": a.handle, "display_name": a.display_name}
            for a in accounts.list_accounts(session, status=AccountStatus.authorized)
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
