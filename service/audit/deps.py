"""Who may read the audit log (DESIGN.md roles): the superintendent and the auditor."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import OVERSIGHT, User

AuditRead = Annotated[User, Depends(require(OVERSIGHT))]
