"""Who may export the open records: the superintendent and the auditor."""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.users.models import OVERSIGHT, User

RecordsExport = Annotated[User, Depends(require(OVERSIGHT))]
