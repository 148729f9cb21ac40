from typing import Annotated

from fastapi import APIRouter, Depends

from service.auth.deps import require
from service.db import DbSession
from service.users import service
from service.users.models import EVERY_ROLE, OVERSIGHT, Role, User, UserCreate, UserPublic

router = APIRouter(prefix="/api/v1", tags=["users"])

Anyone = Annotated[User, Depends(require(EVERY_ROLE))]
UsersRead = Annotated[User, Depends(require(OVERSIGHT))]
UsersManage = Annotated[User, Depends(require(Role.superintendent))]


@router.get("/me")
def me(user: Anyone) -> UserPublic:
    return UserPublic.model_validate(user)


@router.get("/users")
def list_users(_: UsersRead, session: DbSession) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in service.list_users(session)]


@router.post("/users", status_code=201)
def add_user(data: UserCreate, user: UsersManage, session: DbSession) -> UserPublic:
    created = service.add_user(
        session, actor=user.email, email=data.email, role=data.role, name=data.name, site=data.site
    )
    return UserPublic.model_validate(created)
