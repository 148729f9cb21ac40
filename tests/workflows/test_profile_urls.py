"""Profile URL parsing: every spelling of an account must reduce to one identity, and
anything else must be refused with a ProfileUrlError (never another exception)."""

from urllib.parse import quote

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from workflows.platforms import Platform
from workflows.profile_urls import (
    ProfileRef,
    ProfileUrlError,
    handle_key,
    normalize_handle,
    parse_profile_url,
    profile_url,
)

P = Platform
YT_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
DID = "did:plc:z72i7hdynmk6r22z27h6tvur"

VALID: list[tuple[str, Platform, str, bool]] = [
    # X
    ("https://x.com/SpringfieldHS", P.x, "SpringfieldHS", False),
    ("x.com/SpringfieldHS", P.x, "SpringfieldHS", False),
    ("http://twitter.com/SpringfieldHS/", P.x, "SpringfieldHS", False),
    ("https://mobile.twitter.com/Spring_HS/status/123?s=20#top", P.x, "Spring_HS", False),
    ("HTTPS://WWW.X.COM/spring_hs/with_replies", P.x, "spring_hs", False),
    ("  https://x.com/abc  \n", P.x, "abc", False),
    ("//x.com/abc", P.x, "abc", False),
    ("https://x.com./abc", P.x, "abc", False),
    # Facebook
    ("https://www.facebook.com/SpringfieldHS", P.facebook, "SpringfieldHS", False),
    ("fb.com/springfield.hs", P.facebook, "springfield.hs", False),
    ("mobile.facebook.com/cnn", P.facebook, "cnn", False),
    ("facebook.com/SpringfieldHS/posts/123", P.facebook, "SpringfieldHS", False),
    ("m.facebook.com/profile.php?id=100064123456789&sk=about", P.facebook, "100064123456789", True),
    ("web.facebook.com/people/Jane-Doe/1000123/", P.facebook, "1000123", True),
    ("https://www.facebook.com/pages/Springfield-High/123456", P.facebook, "123456", True),
    ("facebook.com/p/Springfield-High-100057123456789/", P.facebook, "100057123456789", True),
    ("facebook.com/4", P.facebook, "4", True),
    # Instagram
    ("instagram.com/springfield.hs", P.instagram, "springfield.hs", False),
    ("https://www.instagram.com/springfield_hs/?hl=en", P.instagram, "springfield_hs", False),
    ("instagr.am/Springfield", P.instagram, "Springfield", False),
    ("m.instagram.com/springfield/reels/", P.instagram, "springfield", False),
    # YouTube
    ("youtube.com/@SpringfieldHS", P.youtube, "SpringfieldHS", False),
    ("https://m.youtube.com/@springfield-hs/videos", P.youtube, "springfield-hs", False),
    (f"https://www.youtube.com/channel/{YT_ID}", P.youtube, YT_ID, True),
    (f"youtube.com/channel/{YT_ID}/featured?x=1", P.youtube, YT_ID, True),
    (f"youtube.com/@{YT_ID}", P.youtube, YT_ID, False),
    ("youtube.com/c/SpringfieldHS", P.youtube, "c/SpringfieldHS", False),
    ("www.youtube.com/user/springfield/", P.youtube, "user/springfield", False),
    # TikTok
    ("tiktok.com/@springfield.hs", P.tiktok, "springfield.hs", False),
    ("https://www.tiktok.com/@spring_hs/video/7234567890?lang=en", P.tiktok, "spring_hs", False),
    # LinkedIn
    ("linkedin.com/company/springfield-high", P.linkedin, "springfield-high", False),
    (
        "https://www.linkedin.com/school/springfield-university/",
        P.linkedin,
        "springfield-university",
        False,
    ),
    ("linkedin.com/company/caf%C3%A9-school/about", P.linkedin, "café-school", False),
    ("linkedin.com/company/café-school", P.linkedin, "café-school", False),
    # Bluesky
    ("bsky.app/profile/springfield.bsky.social", P.bluesky, "springfield.bsky.social", False),
    ("https://bsky.app/profile/MNTC.edu/post/3kabc", P.bluesky, "MNTC.edu", False),
    (f"bsky.app/profile/{DID}", P.bluesky, DID, True),
    ("bsky.app/profile/did:web:school.example.org", P.bluesky, "did:web:school.example.org", True),
    # Threads
    ("threads.net/@springfield.hs", P.threads, "springfield.hs", False),
    ("https://www.threads.com/@spring_hs/post/abc", P.threads, "spring_hs", False),
]

INVALID: list[tuple[str, str]] = [
    ("", "Paste"),
    ("   ", "Paste"),
    ("@springfield", "full profile URL"),
    ("springfield", "full profile URL"),
    # X pages that are not accounts
    ("https://x.com/home", "'home' is a built-in X page"),
    ("x.com/explore", "built-in X page"),
    ("x.com/i/status/1", "built-in X page"),
    ("twitter.com/search?q=springfield", "built-in X page"),
    ("x.com/intent/tweet", "built-in X page"),
    ("x.com/hashtag/school", "built-in X page"),
    ("x.com/Settings", "built-in X page"),
    ("x.com", "X home page"),
    ("x.com/way_too_long_handle", "not a valid X handle"),
    ("x.com/@springfield", "not a valid X handle"),
    # Facebook
    ("facebook.com/groups/123", "built-in Facebook page"),
    ("facebook.com/events/1", "built-in Facebook page"),
    ("facebook.com/watch/?v=1", "built-in Facebook page"),
    ("facebook.com/marketplace", "built-in Facebook page"),
    ("facebook.com/share/abc", "built-in Facebook page"),
    ("facebook.com/sharer/sharer.php?u=x", "built-in Facebook page"),
    ("facebook.com/sharer.php?u=x", "not a valid Facebook"),
    ("facebook.com/photo.php?fbid=1", "not a valid Facebook"),
    ("facebook.com/permalink.php?story_fbid=1", "not a valid Facebook"),
    ("facebook.com/profile.php", "does not contain a valid id"),
    ("facebook.com/profile.php?id=abc", "does not contain a valid id"),
    ("facebook.com/profile.php?id=1&id=2", "does not contain a valid id"),
    ("facebook.com/people/Jane", "built-in Facebook page"),
    ("facebook.com/12.34", "not a valid Facebook"),
    # Instagram
    ("instagram.com/p/Cabc123/", "built-in Instagram page"),
    ("instagram.com/reel/abc", "built-in Instagram page"),
    ("instagram.com/explore/tags/school", "built-in Instagram page"),
    ("instagram.com/accounts/login", "built-in Instagram page"),
    ("instagram.com/stories/springfield/123", "built-in Instagram page"),
    ("instagram.com/...", "not a valid Instagram"),
    # YouTube
    ("youtube.com/watch?v=dQw4w9WgXcQ", "not a YouTube account"),
    ("youtube.com/results?search_query=school", "not a YouTube account"),
    ("youtube.com/playlist?list=x", "not a YouTube account"),
    ("youtube.com/shorts/abc", "not a YouTube account"),
    ("youtube.com/SpringfieldHS", "not a YouTube account"),
    ("youtube.com/channel/notanid", "does not contain a valid id"),
    ("youtube.com/@ab", "not a valid YouTube handle"),
    ("youtu.be/dQw4w9WgXcQ", "not a supported platform"),
    # TikTok
    ("tiktok.com/foryou", "not a TikTok account"),
    ("tiktok.com/@a", "not a valid TikTok"),
    # LinkedIn
    ("linkedin.com/in/jane-doe", "Personal LinkedIn profiles"),
    ("linkedin.com/feed/", "not a LinkedIn account"),
    ("linkedin.com/company/", "'company' is not a LinkedIn account"),
    ("linkedin.com/company/a.b", "not a valid LinkedIn"),
    # Bluesky
    ("bsky.app/search?q=x", "'search' is not a Bluesky account"),
    ("bsky.app/profile/notadomain", "not a valid Bluesky"),
    ("bsky.app/profile/school.123", "not a valid Bluesky"),
    # Threads
    ("threads.net/springfield", "account links look like https://www.threads.net/@name"),
    ("bsky.app", "Bluesky home page"),
    # hostile or malformed
    ("javascript:alert(1)", "http"),
    ("JavaScript:alert(document.cookie)//x.com/a", "http"),
    ("ftp://x.com/springfield", "http"),
    ("mailto:head@school.edu", "http"),
    ("data:text/html,<script>alert(1)</script>", "http"),
    ("https://x.com@evil.com/springfield", "user name or password"),
    ("https://user:pw@x.com/springfield", "user name or password"),
    ("https://evil.com/springfield", "evil.com is not a supported platform; supported: x.com"),
    ("https://x.com.evil.com/springfield", "x.com.evil.com is not a supported platform"),
    ("https://evilx.com/springfield", "not a supported platform"),
    ("https://sub.x.com/springfield", "not a supported platform"),
    ("https://www.evil.com/x.com/springfield", "not a supported platform"),
    ("https://x.com:8080/springfield", "port"),
    ("https://" + "a" * 3000 + ".com/x", "too long"),
    ("https://x.com/" + "a" * 2100, "too long"),
    ("https://x.com/spring\x00field", "invisible"),
    ("https://x.com/spring\u200bfield", "invisible"),
    ("https://x.com/spring field", "spaces"),
    ("https://x.com\\@evil.com/springfield", "backslashes"),
    ("https://x.com/%2e%2e/home", "'..'"),
    ("https://x.com/springfield/../home", "'..'"),
    ("https://[::1/springfield", "well-formed"),
    ("https:///springfield", "no web address"),
    ("https://xn--x-com.example/springfield", "not a supported platform"),
]


@pytest.mark.parametrize(("url", "platform", "handle", "by_id"), VALID)
def test_parses_every_supported_spelling(
    url: str, platform: Platform, handle: str, by_id: bool
) -> None:
    assert parse_profile_url(url) == ProfileRef(platform, handle, by_id)


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_refuses_with_a_specific_message(text: str, message: str) -> None:
    with pytest.raises(ProfileUrlError) as info:
        parse_profile_url(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("ref", "url"),
    [
        (ProfileRef(P.x, "Handle"), "https://x.com/Handle"),
        (ProfileRef(P.facebook, "123", by_id=True), "https://www.facebook.com/profile.php?id=123"),
        (ProfileRef(P.facebook, "springfield.hs"), "https://www.facebook.com/springfield.hs"),
        (ProfileRef(P.instagram, "h"), "https://www.instagram.com/h"),
        (ProfileRef(P.youtube, "h_1"), "https://www.youtube.com/@h_1"),
        (ProfileRef(P.youtube, YT_ID, by_id=True), f"https://www.youtube.com/channel/{YT_ID}"),
        (ProfileRef(P.youtube, "c/Name"), "https://www.youtube.com/c/Name"),
        (ProfileRef(P.tiktok, "h"), "https://www.tiktok.com/@h"),
        (
            ProfileRef(P.linkedin, "café-school"),
            "https://www.linkedin.com/company/caf%C3%A9-school",
        ),
        (ProfileRef(P.bluesky, "h.bsky.social"), "https://bsky.app/profile/h.bsky.social"),
        (ProfileRef(P.bluesky, DID, by_id=True), f"https://bsky.app/profile/{DID}"),
        (ProfileRef(P.threads, "h"), "https://www.threads.net/@h"),
    ],
)
def test_profile_url_is_canonical(ref: ProfileRef, url: str) -> None:
    assert profile_url(ref) == url


def test_normalize_handle_accepts_platform_names_and_classifies_ids() -> None:
    assert normalize_handle(" X ", " @Springfield ") == ProfileRef(P.x, "Springfield")
    assert normalize_handle(P.facebook, "100064123") == ProfileRef(P.facebook, "100064123", True)
    assert normalize_handle("youtube", YT_ID) == ProfileRef(P.youtube, YT_ID, by_id=True)
    assert normalize_handle("youtube", "@" + YT_ID) == ProfileRef(P.youtube, YT_ID)
    assert normalize_handle("bluesky", DID) == ProfileRef(P.bluesky, DID, by_id=True)


@pytest.mark.parametrize(
    ("platform", "handle", "message"),
    [
        ("myspace", "springfield", "not a supported platform"),
        ("", "springfield", "not a supported platform"),
        (P.x, "", "not a valid X handle"),
        (P.x, "@@springfield", "not a valid X handle"),
        (P.x, "home", "built-in X page"),
        (P.facebook, "Group.s", "built-in Facebook page"),
        (P.facebook, "@123", "not a valid Facebook"),
        (P.instagram, "explore", "built-in Instagram page"),
        (P.bluesky, "@" + DID, "not a valid Bluesky"),
        (P.linkedin, "caf%C3%A9", "not a valid LinkedIn"),
    ],
)
def test_normalize_handle_refuses(platform: Platform | str, handle: str, message: str) -> None:
    with pytest.raises(ProfileUrlError) as info:
        normalize_handle(platform, handle)
    assert message in str(info.value)


def test_facebook_keys_ignore_dots_and_case_other_platforms_only_case() -> None:
    assert handle_key(P.facebook, "John.Smith55") == handle_key(P.facebook, "johnsmith55")
    assert handle_key(P.instagram, "john.smith") != handle_key(P.instagram, "johnsmith")
    assert parse_profile_url("fb.com/John.Smith55").key == "johnsmith55"


# --- property tests ---------------------------------------------------------------------------


def _domain() -> st.SearchStrategy[str]:
    label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
    tld = st.from_regex(r"[A-Za-z][A-Za-z0-9]{1,5}", fullmatch=True)
    return st.builds(
        lambda labels, end: ".".join([*labels, end]), st.lists(label, min_size=1, max_size=3), tld
    )


HANDLES: dict[Platform, st.SearchStrategy[str]] = {
    P.x: st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True),
    P.facebook: st.from_regex(
        r"[A-Za-z0-9.]{0,12}[A-Za-z][A-Za-z0-9.]{0,12}", fullmatch=True
    ).filter(lambda h: not h.endswith(".php")),
    P.instagram: st.from_regex(r"[A-Za-z0-9._]{1,30}", fullmatch=True).filter(
        lambda h: h.strip(".")
    ),
    P.youtube: st.from_regex(r"[A-Za-z0-9._-]{3,30}", fullmatch=True),
    P.tiktok: st.from_regex(r"[A-Za-z0-9_.]{2,24}", fullmatch=True),
    P.linkedin: st.from_regex(r"[A-Za-z0-9_\-éÉüÜ]{1,40}", fullmatch=True),
    P.bluesky: _domain(),
    P.threads: st.from_regex(r"[A-Za-z0-9._]{1,30}", fullmatch=True).filter(lambda h: h.strip(".")),
}
IDS: dict[Platform, st.SearchStrategy[str]] = {
    P.facebook: st.from_regex(r"[1-9][0-9]{0,16}", fullmatch=True),
    P.youtube: st.from_regex(r"UC[A-Za-z0-9_-]{22}", fullmatch=True),
    P.bluesky: st.from_regex(r"did:plc:[a-z2-7]{24}", fullmatch=True),
}
# (hosts, subdomains, handle path templates, extra path allowed after the handle)
SPELLINGS: dict[Platform, tuple[list[str], list[str], list[str], list[str]]] = {
    P.x: (["x.com", "twitter.com"], ["www.", "mobile."], ["/{}"], ["/status/123", "/media"]),
    P.facebook: (
        ["facebook.com", "fb.com"],
        ["www.", "m.", "web.", "mobile."],
        ["/{}"],
        ["/posts/1", "/about"],
    ),
    P.instagram: (["instagram.com", "instagr.am"], ["www.", "m."], ["/{}"], ["/reels"]),
    P.youtube: (["youtube.com"], ["www.", "m."], ["/@{}"], ["/videos", "/featured"]),
    P.tiktok: (["tiktok.com"], ["www.", "m."], ["/@{}"], ["/video/7234567890"]),
    P.linkedin: (["linkedin.com"], ["www."], ["/company/{}", "/school/{}"], ["/about"]),
    P.bluesky: (["bsky.app"], [], ["/profile/{}"], ["/post/3kabc"]),
    P.threads: (["threads.net", "threads.com"], ["www."], ["/@{}"], ["/post/abc"]),
}
ID_PATHS: dict[Platform, list[str]] = {
    P.facebook: [
        "/profile.php?id={}",
        "/people/Some-Name/{}",
        "/pages/Some-Name/{}",
        "/p/Some-Name-{}",
        "/{}",
    ],
    P.youtube: ["/channel/{}"],
    P.bluesky: ["/profile/{}"],
}
ALL = list(Platform)


def _accepted(platform: Platform, handle: str) -> ProfileRef:
    """Generated handles have a valid shape, so the only acceptable refusal is a reserved word."""
    try:
        return normalize_handle(platform, handle)
    except ProfileUrlError as exc:
        assert "built-in" in str(exc), exc
        reject()


@st.composite
def _spell(draw: st.DrawFn, platform: Platform, handle: str, paths: list[str]) -> str:
    hosts, subdomains, _, extras = SPELLINGS[platform]
    host = draw(st.sampled_from(["", *subdomains])) + draw(st.sampled_from(hosts))
    host = draw(st.sampled_from([str.lower, str.upper, str.title]))(host)
    scheme = draw(st.sampled_from(["", "http://", "https://", "HTTPS://", "//"]))
    path = draw(st.sampled_from(paths)).format(draw(st.sampled_from([handle, quote(handle)])))
    if "?" not in path:
        path += draw(st.sampled_from(["", *extras])) + draw(st.sampled_from(["", "/"]))
    noise = draw(st.sampled_from(["", "utm_source=newsletter&ref=1"]))
    if noise:
        path += ("&" if "?" in path else "?") + noise
    fragment = draw(st.sampled_from(["", "#top"]))
    padding = draw(st.sampled_from(["", " ", "\t\n"]))
    return f"{padding}{scheme}{host}{path}{fragment}{padding}"


@pytest.mark.parametrize("platform", ALL)
@given(data=st.data())
def test_every_spelling_of_a_handle_parses_to_its_key(
    platform: Platform, data: st.DataObject
) -> None:
    handle = data.draw(HANDLES[platform])
    ref = _accepted(platform, handle)
    url = data.draw(_spell(platform, handle, SPELLINGS[platform][2]))
    parsed = parse_profile_url(url)
    assert parsed.platform == platform
    assert parsed.key == handle_key(platform, handle) == ref.key


@pytest.mark.parametrize("platform", list(IDS))
@given(data=st.data())
def test_every_spelling_of_an_id_parses_to_it(platform: Platform, data: st.DataObject) -> None:
    account_id = data.draw(IDS[platform])
    url = data.draw(_spell(platform, account_id, ID_PATHS[platform]))
    assert parse_profile_url(url) == ProfileRef(platform, account_id, by_id=True)


@pytest.mark.parametrize("platform", ALL)
@given(data=st.data())
def test_profile_url_round_trips(platform: Platform, data: st.DataObject) -> None:
    strategies = [HANDLES[platform], *([IDS[platform]] if platform in IDS else [])]
    ref = _accepted(platform, data.draw(st.one_of(strategies)))
    assert parse_profile_url(profile_url(ref)) == ref
    assert normalize_handle(ref.platform, ref.handle) == ref


@pytest.mark.parametrize("platform", ALL)
@given(data=st.data())
def test_at_sign_and_case_do_not_change_the_key(platform: Platform, data: st.DataObject) -> None:
    handle = data.draw(HANDLES[platform])
    ref = _accepted(platform, handle)
    assert normalize_handle(platform, "@" + handle).key == ref.key
    assert normalize_handle(platform, handle.swapcase()).key == ref.key
    assert handle_key(platform, handle.upper()) == handle_key(platform, handle.lower())


@pytest.mark.parametrize("platform", ALL)
@given(data=st.data())
def test_lookalikes_one_character_apart_have_different_keys(
    platform: Platform, data: st.DataObject
) -> None:
    handle = data.draw(HANDLES[platform])
    i = data.draw(st.integers(0, len(handle) - 1))
    swap = data.draw(
        st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789").filter(
            lambda c: c != handle[i].casefold()
        )
    )
    lookalike = handle[:i] + swap + handle[i + 1 :]
    assert handle_key(platform, lookalike) != handle_key(platform, handle)


URLISH = st.text(alphabet=st.sampled_from("abx.com/:@?#%&=-_.~[]\\ \t@2eEFf0UC"), max_size=60)
PREFIXES = st.sampled_from(
    [
        "",
        "https://",
        "https://x.com/",
        "https://www.facebook.com/profile.php?id=",
        "facebook.com/p/",
        "https://www.youtube.com/",
        "youtube.com/channel/",
        "bsky.app/profile/",
        "linkedin.com/company/",
        "https://x.com@",
        "http://[",
        "javascript:",
    ]
)


@settings(max_examples=300)
@given(text=st.one_of(st.text(), st.builds(str.__add__, PREFIXES, st.one_of(URLISH, st.text()))))
def test_arbitrary_text_parses_or_raises_profile_url_error(text: str) -> None:
    try:
        ref = parse_profile_url(text)
    except ProfileUrlError as exc:
        assert str(exc)
    else:
        assert parse_profile_url(profile_url(ref)) == ref
