"""The register's web pages: the list and its filters, requests by URL, an account's page and
the superintendent's decisions — all through the same service functions as the API."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from service.accounts import service as accounts
from service.accounts.models import Account, AccountRequest
from service.users.models import Role, User
from tests.conftest import Browser, Person
from workflows.account_lifecycle import AccountAction, AccountStatus
from workflows.platforms import Platform

Browse = Callable[[Person], Browser]
LEGAL = {
    AccountStatus.requested: {AccountAction.authorize, AccountAction.reject},
    AccountStatus.authorized: {AccountAction.suspend, AccountAction.revoke},
    AccountStatus.suspended: {AccountAction.reinstate, AccountAction.revoke},
    AccountStatus.rejected: set(),
    AccountStatus.revoked: set(),
}
TO_REACH = {
    AccountStatus.requested: [],
    AccountStatus.authorized: [AccountAction.authorize],
    AccountStatus.suspended: [AccountAction.authorize, AccountAction.suspend],
    AccountStatus.rejected: [AccountAction.reject],
    AccountStatus.revoked: [AccountAction.authorize, AccountAction.revoke],
}


def _account(
    session: Session,
    requester: Person,
    handle: str,
    platform: Platform = Platform.x,
    steps: list[AccountAction] | None = None,
    decider: Person | None = None,
) -> Account:
    account = accounts.request_account(
        session,
        requester.user,
        AccountRequest(platform=platform, handle=handle, display_name=f"{handle} page"),
    )
    assert account.id is not None
    for step in steps or []:
        assert decider is not None
        accounts.decide(session, account.id, step, decider.user, f"step {step}")
    session.commit()
    return account


def _fresh(session: Session, account_id: int) -> Account:
    session.expire_all()
    return accounts.get_account(session, account_id)


def _history(session: Session, account_id: int) -> list[str]:
    session.expire_all()
    return [e.action for e in accounts.history(session, account_id, limit=100)]


def _table(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


# --- the register ---------------------------------------------------------------------------


def test_the_register_lists_every_account_with_a_link_to_its_page(
    browser_as: Browse, session: Session, staff: Person, superintendent: Person
) -> None:
    requested = _account(session, staff, "RiverbendNews")
    authorized = _account(
        session,
        staff,
        "riverbend.tech",
        Platform.instagram,
        [AccountAction.authorize],
        superintendent,
    )
    page = browser_as(staff).get("/accounts")
    assert page.status_code == 200
    rows = _table(page.text)
    assert f'href="/accounts/{requested.id}">@RiverbendNews</a>' in rows
    assert f'href="/accounts/{authorized.id}">@riverbend.tech</a>' in rows
    assert "badge-requested" in rows and "badge-authorized" in rows
    assert "riverbend.tech page" in rows  # display name
    assert authorized.review_due is not None
    assert authorized.review_due.strftime("%Y-%m-%d") in rows


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "authorized"}, ["@riverbend.tech"], ["@RiverbendNews", "@RiverbendOld"]),
        ({"platform": "x"}, ["@RiverbendNews", "@RiverbendOld"], ["@riverbend.tech"]),
        ({"status": "rejected", "platform": "x"}, ["@RiverbendOld"], ["@RiverbendNews"]),
        ({"status": "", "platform": ""}, ["@RiverbendNews", "@riverbend.tech"], []),
    ],
)
def test_the_register_filters_by_status_and_platform(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    query: dict[str, str],
    shown: list[str],
    hidden: list[str],
) -> None:
    _account(session, staff, "RiverbendNews")
    _account(session, staff, "RiverbendOld", steps=[AccountAction.reject], decider=superintendent)
    _account(
        session,
        staff,
        "riverbend.tech",
        Platform.instagram,
        [AccountAction.authorize],
        superintendent,
    )
    page = browser_as(staff).get("/accounts", **query)
    assert page.status_code == 200
    rows = _table(page.text)
    for handle in shown:
        assert f">{handle}</a>" in rows
    for handle in hidden:
        assert f">{handle}</a>" not in rows
    for value in query.values():
        if value:
            assert f'value="{value}" selected' in page.text


def test_a_filter_that_matches_nothing_says_so(browser_as: Browse, staff: Person) -> None:
    page = browser_as(staff).get("/accounts", status="revoked")
    assert page.status_code == 200
    assert "No account matches these filters" in page.text


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"platform": "myspace"}])
def test_an_unknown_filter_value_is_a_422_page(
    browser_as: Browse, staff: Person, query: dict[str, str]
) -> None:
    page = browser_as(staff).get("/accounts", **query)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in page.text


# --- requesting an account by its URL -------------------------------------------------------


def test_a_contributor_requests_an_account_by_pasting_its_url(
    browser_as: Browse, session: Session, staff: Person
) -> None:
    browser = browser_as(staff)
    form = browser.get("/accounts").text
    assert 'action="/accounts/request"' in form and 'for="request-url"' in form

    response = browser.post(
        "/accounts/request",
        data={
            "url": "https://twitter.com/RiverbendTech?s=20",
            "display_name": "Riverbend Tech",
            "purpose": "Campus news",
        },
    )

    assert response.status_code == 303
    found = accounts.find_by_reference(
        session, accounts.resolve_reference(url="x.com/riverbendtech")
    )
    assert found is not None
    assert response.headers["location"] == f"/accounts/{found.id}"
    assert (found.status, found.display_name, found.purpose) == (
        AccountStatus.requested,
        "Riverbend Tech",
        "Campus news",
    )
    assert found.requested_by_id == staff.user.id
    page = browser.get(response.headers["location"])
    assert "Requested @RiverbendTech on X" in page.text  # the flash
    assert _history(session, found.id or 0) == ["account.requested"]


@pytest.mark.parametrize(
    "url", ["https://example.com/whatever", "https://x.com/home", "not a url at all", "   "]
)
def test_an_unreadable_url_is_a_422_page_and_saves_nothing(
    browser_as: Browse, session: Session, staff: Person, url: str
) -> None:
    response = browser_as(staff).post("/accounts/request", data={"url": url, "purpose": "x"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert accounts.list_accounts(session) == []


def test_a_missing_url_is_a_422_page(browser_as: Browse, session: Session, staff: Person) -> None:
    response = browser_as(staff).post("/accounts/request", data={"purpose": "x"})
    assert response.status_code == 422
    assert accounts.list_accounts(session) == []


def test_requesting_an_account_already_in_the_register_is_a_409_page(
    browser_as: Browse, session: Session, staff: Person
) -> None:
    existing = _account(session, staff, "RiverbendTech")
    response = browser_as(staff).post(
        "/accounts/request", data={"url": "https://x.com/riverbendtech", "purpose": "again"}
    )
    assert response.status_code == 409
    assert "already in the register" in response.text
    assert [a.id for a in accounts.list_accounts(session)] == [existing.id]
    assert _fresh(session, existing.id or 0).purpose == ""


def test_the_auditor_reads_the_register_but_is_not_offered_the_request_form(
    browser_as: Browse, session: Session, make_person: Callable[..., Person]
) -> None:
    browser = browser_as(make_person(Role.auditor))
    page = browser.get("/accounts")
    assert page.status_code == 200
    assert 'action="/accounts/request"' not in page.text
    refused = browser.post("/accounts/request", data={"url": "https://x.com/riverbendtech"})
    assert refused.status_code == 403
    assert accounts.list_accounts(session) == []


# --- an account's page ----------------------------------------------------------------------


def test_the_account_page_shows_its_record_stewards_and_history(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
) -> None:
    account = _account(session, staff, "RiverbendTech")
    assert account.id is not None
    colleague = make_person(Role.staff)
    accounts.add_steward(session, account.id, colleague.email, superintendent.user)
    accounts.decide(
        session, account.id, AccountAction.authorize, superintendent.user, "district page"
    )
    session.commit()

    page = browser_as(staff).get(f"/accounts/{account.id}")

    assert page.status_code == 200
    text = page.text
    assert text.count("<h1") == 1 and "@RiverbendTech on X" in text
    assert 'href="https://x.com/RiverbendTech"' in text
    record = text.split("Authorization record")[1].split("<h2")[0]
    assert f"Requested by</dt><dd>{staff.email}" in record
    assert f"Authorized by</dt><dd>{superintendent.email}" in record
    assert "Review due" in record and "<time" in record
    stewards = text.split(">Stewards<")[1].split("<h2")[0]
    assert staff.email in stewards and colleague.email in stewards
    history = _table(text.split(">History<")[1])
    assert "district page" in history and colleague.email in history
    # newest first: the authorization, then the steward, then the request
    assert history.index("authorize") < history.index("steward added") < history.index("requested")


def test_an_unknown_account_is_a_404_page(browser_as: Browse, staff: Person) -> None:
    page = browser_as(staff).get("/accounts/999999")
    assert page.status_code == 404
    assert "No account with id 999999" in page.text


@pytest.mark.parametrize("status", list(AccountStatus))
@pytest.mark.parametrize("role", list(Role))
def test_available_actions_are_the_lifecycles_legal_ones_for_the_superintendent_only(
    status: AccountStatus, role: Role
) -> None:
    person = User(email="someone@school.example", role=role, created_at=datetime.now(UTC))
    offered = set(accounts.available_actions(status, person))
    assert offered == (LEGAL[status] if role is Role.superintendent else set())


@pytest.mark.parametrize("status", list(AccountStatus))
def test_the_superintendent_is_offered_exactly_the_legal_decisions(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    status: AccountStatus,
) -> None:
    account = _account(
        session, staff, "RiverbendTech", steps=TO_REACH[status], decider=superintendent
    )
    page = browser_as(superintendent).get(f"/accounts/{account.id}").text
    for action in AccountAction:
        form = f'action="/accounts/{account.id}/{action.value}"'
        assert (form in page) == (action in LEGAL[status]), action
    if LEGAL[status]:
        assert "data-confirm=" in page and 'name="reason"' in page and " required" in page


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (AccountStatus.requested, AccountAction.authorize, AccountStatus.authorized),
        (AccountStatus.requested, AccountAction.reject, AccountStatus.rejected),
        (AccountStatus.authorized, AccountAction.suspend, AccountStatus.suspended),
        (AccountStatus.suspended, AccountAction.reinstate, AccountStatus.authorized),
        (AccountStatus.authorized, AccountAction.revoke, AccountStatus.revoked),
        (AccountStatus.suspended, AccountAction.revoke, AccountStatus.revoked),
    ],
)
def test_each_decision_changes_the_status_and_is_audited(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    status: AccountStatus,
    action: AccountAction,
    after: AccountStatus,
) -> None:
    account = _account(
        session, staff, "RiverbendTech", steps=TO_REACH[status], decider=superintendent
    )
    assert account.id is not None
    browser = browser_as(superintendent)

    response = browser.post(f"/accounts/{account.id}/{action.value}", data={"reason": " checked "})

    assert response.status_code == 303
    assert response.headers["location"] == f"/accounts/{account.id}"
    assert _fresh(session, account.id).status is after
    (entry, *_) = accounts.history(session, account.id, limit=1)
    assert (entry.action, entry.actor) == (f"account.{action.value}", superintendent.email)
    assert entry.after is not None and entry.after["reason"] == "checked"
    page = browser.get(f"/accounts/{account.id}").text
    assert f"it is now {after.value}" in page  # the flash
    assert f"badge-{after.value}" in page


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (AccountStatus.requested, AccountAction.reinstate),
        (AccountStatus.requested, AccountAction.suspend),
        (AccountStatus.authorized, AccountAction.authorize),
        (AccountStatus.rejected, AccountAction.authorize),
        (AccountStatus.revoked, AccountAction.reinstate),
    ],
)
def test_an_illegal_decision_is_a_409_page_and_changes_nothing(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    status: AccountStatus,
    action: AccountAction,
) -> None:
    account = _account(
        session, staff, "RiverbendTech", steps=TO_REACH[status], decider=superintendent
    )
    assert account.id is not None
    before = _history(session, account.id)

    response = browser_as(superintendent).post(
        f"/accounts/{account.id}/{action.value}", data={"reason": "try"}
    )

    assert response.status_code == 409
    assert f"Cannot {action.value}" in response.text
    assert _fresh(session, account.id).status is status
    assert _history(session, account.id) == before


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}])
def test_a_decision_needs_a_reason(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    data: dict[str, object],
) -> None:
    account = _account(session, staff, "RiverbendTech")
    response = browser_as(superintendent).post(f"/accounts/{account.id}/authorize", data=data)
    assert response.status_code == 422
    assert _fresh(session, account.id or 0).status is AccountStatus.requested


def test_an_unknown_action_is_a_4xx(
    browser_as: Browse, session: Session, staff: Person, superintendent: Person
) -> None:
    account = _account(session, staff, "RiverbendTech")
    response = browser_as(superintendent).post(
        f"/accounts/{account.id}/delete", data={"reason": "x"}
    )
    assert response.status_code == 422
    assert _fresh(session, account.id or 0).status is AccountStatus.requested


@pytest.mark.parametrize("role", [Role.staff, Role.designee, Role.site_admin, Role.auditor])
def test_other_roles_see_no_decisions_and_are_refused_them(
    browser_as: Browse,
    session: Session,
    staff: Person,
    make_person: Callable[..., Person],
    role: Role,
) -> None:
    account = _account(session, staff, "RiverbendTech")
    assert account.id is not None
    browser = browser_as(staff if role is Role.staff else make_person(role))
    page = browser.get(f"/accounts/{account.id}").text
    assert f'action="/accounts/{account.id}/' not in page  # no decision, no steward form
    assert "data-confirm" not in page and ">Decide<" not in page

    attempts: list[tuple[str, dict[str, object]]] = [
        (f"/accounts/{account.id}/authorize", {"reason": "me"}),
        (f"/accounts/{account.id}/stewards", {"email": staff.email}),
        (f"/accounts/{account.id}/stewards/remove", {"email": staff.email}),
    ]
    for path, data in attempts:
        response = browser.post(path, data=data)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text
    assert _fresh(session, account.id).status is AccountStatus.requested
    assert _history(session, account.id) == ["account.requested"]


# --- stewards -------------------------------------------------------------------------------


def test_the_superintendent_adds_and_removes_stewards(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    make_person: Callable[..., Person],
) -> None:
    account = _account(session, staff, "RiverbendTech")
    assert account.id is not None
    colleague = make_person(Role.staff)
    browser = browser_as(superintendent)
    page = browser.get(f"/accounts/{account.id}").text
    assert 'for="steward-email"' in page and 'aria-label="Remove ' in page

    added = browser.post(f"/accounts/{account.id}/stewards", data={"email": colleague.email})
    assert added.status_code == 303
    assert accounts.steward_emails(session, [account.id])[account.id] == sorted(
        [staff.email, colleague.email]
    )
    assert f"{colleague.email} now stewards" in browser.get(f"/accounts/{account.id}").text

    removed = browser.post(f"/accounts/{account.id}/stewards/remove", data={"email": staff.email})
    assert removed.status_code == 303
    assert accounts.steward_emails(session, [account.id])[account.id] == [colleague.email]
    assert _history(session, account.id)[:2] == ["account.steward_removed", "account.steward_added"]


@pytest.mark.parametrize(
    ("path", "email", "status"),
    [
        ("stewards", "nobody@school.example", 404),
        ("stewards", "not an email", 422),
        ("stewards", "STEWARD", 409),  # already a steward
        ("stewards/remove", "nobody@school.example", 404),
    ],
)
def test_steward_changes_that_cannot_be_made_change_nothing(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
    path: str,
    email: str,
    status: int,
) -> None:
    account = _account(session, staff, "RiverbendTech")
    assert account.id is not None
    sent = staff.email if email == "STEWARD" else email
    response = browser_as(superintendent).post(
        f"/accounts/{account.id}/{path}", data={"email": sent}
    )
    assert response.status_code == status
    assert 'role="alert"' in response.text
    assert accounts.steward_emails(session, [account.id])[account.id] == [staff.email]
    assert _history(session, account.id) == ["account.requested"]


# --- forged requests and absurd ids ---------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(
    browser_as: Browse,
    session: Session,
    staff: Person,
    superintendent: Person,
) -> None:
    account = _account(session, staff, "RiverbendTech")
    assert account.id is not None
    client = browser_as(superintendent).client
    for path, data in [
        ("/accounts/request", {"url": "https://x.com/forged_request"}),
        (f"/accounts/{account.id}/authorize", {"reason": "forged"}),
        (f"/accounts/{account.id}/stewards", {"email": superintendent.email}),
        (f"/accounts/{account.id}/stewards/remove", {"email": staff.email}),
    ]:
        response = client.post(
            path, data=data, headers={"accept": "text/html"}, follow_redirects=False
        )
        assert response.status_code == 400, path
        assert "expired or did not come from this site" in response.text
    assert [a.id for a in accounts.list_accounts(session)] == [account.id]
    assert _fresh(session, account.id).status is AccountStatus.requested
    assert accounts.steward_emails(session, [account.id])[account.id] == [staff.email]


def test_every_form_on_the_pages_carries_this_sessions_token(
    browser_as: Browse, session: Session, staff: Person, superintendent: Person
) -> None:
    account = _account(session, staff, "RiverbendTech")
    browser = browser_as(superintendent)
    for path, forms in [("/accounts", 2), (f"/accounts/{account.id}", 5)]:
        page = browser.get(path).text
        tokens = [part.split('"')[0] for part in page.split('name="csrf_token" value="')[1:]]
        # sign-out, then the request form; or sign-out, two decisions, remove and add a steward
        assert tokens == [browser.csrf_token] * forms, path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/{id}"),
        ("post", "/accounts/{id}/authorize"),
        ("post", "/accounts/{id}/stewards"),
        ("post", "/accounts/{id}/stewards/remove"),
    ],
)
def test_ids_beyond_64_bits_are_a_4xx_page(
    browser_as: Browse, superintendent: Person, method: str, path: str
) -> None:
    browser = browser_as(superintendent)
    target = path.format(id=2**70)
    if method == "get":
        response = browser.get(target)
    else:
        response = browser.post(target, data={"reason": "x", "email": superintendent.email})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
