"""Who may do what with the register (DESIGN.md roles)."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import CONTRIBUTORS, EVERY_ROLE, OVERSIGHT, Role, User

AccountsRead = Annotated[User, Depends(require(EVERY_ROLE))]
AccountsRequest = Annotated[User, Depends(require(CONTRIBUTORS))]
AccountsDecide = Annotated[User, Depends(require(Role.superintendent))]
AccountsOversee = Annotated[User, Depends(require(OVERSIGHT))]
