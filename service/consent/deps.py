"""Who may do what with the consent registry (DESIGN.md roles, policy items 3-5).

Everyone reads the roster and whether consent is on file — staff and designees need the names
to pick the students a post depicts. Only the superintendent and site administrators change
it; the auditor reads everything and changes nothing. What each reader sees (student numbers,
guardians' contact details, signed forms) is decided in `service.consent.service`.
"""

from typing import Annotated

from fastapi import Depends

from service.auth.deps import require
from service.consent.service import CONFIDENTIAL_READERS
from service.users.models import EVERY_ROLE, Role, User

ConsentRead = Annotated[User, Depends(require(EVERY_ROLE))]
ConsentManage = Annotated[User, Depends(require(Role.superintendent, Role.site_admin))]
# The signed forms themselves: the readers of confidential details only.
EvidenceRead = Annotated[User, Depends(require(CONFIDENTIAL_READERS))]
