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

    @property
    def label(self) -> str:
        """The platform's name as it writes it."""
        return _LABELS[self]


_LABELS = {
    Platform.x: "X",
    Platform.facebook: "Facebook",
    Platform.instagram: "Instagram",
    Platform.youtube: "YouTube",
    Platform.tiktok: "TikTok",
    Platform.linkedin: "LinkedIn",
    Platform.bluesky: "Bluesky",
    Platform.threads: "Threads",
}
