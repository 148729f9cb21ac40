"""The platforms an official account can live on.

Kept in `workflows` because pure decisions (URL parsing, handle rules, scoring) need it
without importing any platform client.
"""

from enum import StrEnum


class Platform(StrEnum):
    x = "x"
    facebook = "facebook"
    instagram = "instagram"
    youtube = "youtube"
    tiktok = "tiktok"
    linkedin = "linkedin"
    bluesky = "bluesky"
    threads = "threads"
