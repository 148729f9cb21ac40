"""Who may do what with findings (DESIGN.md roles): designees triage; the auditor reads."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import CONTRIBUTORS, Role, User

FindingsRead = Annotated[User, Depends(require(Role.superintendent, Role.designee, Role.auditor))]
FindingsTriage = Annotated[User, Depends(require(Role.superintendent, Role.designee))]
# Anyone signed in who may change something reports an account (policy: staff report
# inappropriate activity); the auditor changes nothing, and reports like the public if at all.
Reporters = Annotated[User, Depends(require(CONTRIBUTORS))]
