"""Who may do what with findings (DESIGN.md roles): designees triage; the auditor reads."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import EVERY_ROLE, Role, User

FindingsRead = Annotated[User, Depends(require(Role.superintendent, Role.designee, Role.auditor))]
FindingsTriage = Annotated[User, Depends(require(Role.superintendent, Role.designee))]
# Anyone signed in may report an account (policy: staff report inappropriate activity).
Reporters = Annotated[User, Depends(require(EVERY_ROLE))]
