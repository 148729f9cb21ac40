"""What anyone may ask without signing in: is this account official, and which ones are."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from service.accounts import service as accounts
from service.accounts.models import DirectoryEntry
from service.auth.deps import PUBLIC
from service.db import DbSession
from service.posts import media as post_media
from service.public import service
from service.public.register import Register, public_register
from service.public.service import Verification
from workflows.platforms import Platform

router = APIRouter(prefix="/api/v1/public", tags=["public"], dependencies=[PUBLIC])
# Platforms that fetch images by URL (Instagram) need them outside the API's prefix.
media_router = APIRouter(tags=["public"], dependencies=[PUBLIC])


# Asynchronous, without a session: the route that takes the public's traffic answers from the
# in-memory register without a trip through the thread pool (service/public/register.py).
@router.get("/verify")
async def verify(
    current: Annotated[Register, Depends(public_register)],
    url: str | None = None,
    platform: Platform | None = None,
    handle: str | None = None,
) -> Verification:
    return service.answer(current, url=url, platform=platform, handle=handle)


@media_router.get("/media/posts/{name}")
def published_image(
    name: Annotated[str, Path(pattern=r"^[0-9a-f]{64}\.(jpg|png|webp|gif)$")], session: DbSession
) -> Response:
    data, content_type = post_media.public_media_file(session, name)
    return Response(
        data, media_type=content_type, headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/accounts")
def directory(session: DbSession) -> list[DirectoryEntry]:
    return accounts.directory(session)
