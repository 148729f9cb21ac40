"""Who may see and manage people (DESIGN.md roles)."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import EVERY_ROLE, OVERSIGHT, Role, User

Anyone = Annotated[User, Depends(require(EVERY_ROLE))]
UsersRead = Annotated[User, Depends(require(OVERSIGHT))]
UsersManage = Annotated[User, Depends(require(Role.superintendent))]
