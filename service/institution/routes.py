from typing import Annotated

from fastapi import APIRouter, Depends

from service.auth.deps import require
from service.db import DbSession
from service.institution import service
from service.institution.models import InstitutionPublic, InstitutionUpdate
from service.users.models import EVERY_ROLE, Role, User

router = APIRouter(prefix="/api/v1/institution", tags=["institution"])

InstitutionRead = Annotated[User, Depends(require(EVERY_ROLE))]
InstitutionEdit = Annotated[User, Depends(require(Role.superintendent))]


@router.get("")
def get_institution(_: InstitutionRead, session: DbSession) -> InstitutionPublic:
    return InstitutionPublic.model_validate(service.get_institution(session))


@router.put("")
def update_institution(
    data: InstitutionUpdate, user: InstitutionEdit, session: DbSession
) -> InstitutionPublic:
    institution = service.update_institution(session, actor=user.email, data=data)
    return InstitutionPublic.model_validate(institution)
