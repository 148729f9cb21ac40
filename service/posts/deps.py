"""Who may do what with posts; object-level rules (author, reviewer) live in the workflow."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import CONTRIBUTORS, EVERY_ROLE, Role, User

PostsRead = Annotated[User, Depends(require(EVERY_ROLE))]
PostsWrite = Annotated[User, Depends(require(CONTRIBUTORS))]
PostsReview = Annotated[User, Depends(require(Role.superintendent, Role.designee, Role.site_admin))]
PostsRemove = Annotated[User, Depends(require(Role.superintendent, Role.designee))]
