from fastapi import APIRouter

from service.db import DbSession
from service.users import service
from service.users.deps import Anyone, UsersManage, UsersRead
from service.users.models import DeactivationPublic, UserCreate, UserPublic

router = APIRouter(prefix="/api/v1", tags=["users"])


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


@router.post("/users/{email}/deactivate")
def deactivate_user(email: str, user: UsersManage, session: DbSession) -> DeactivationPublic:
    return service.deactivate_user(session, email, actor=user.email)
