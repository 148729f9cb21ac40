"""OpenAPI links: how one operation's answer feeds the next (a listed account into a post for it,
a created post into its submission, a submitted revision into its review).

They document the workflows for API clients, and the stateful fuzzing follows them to reach
records that exist instead of guessing ids (tests/test_api_fuzz.py).
"""

from typing import Any

API = "/api/v1"


def _pointer(path: str) -> str:
    """`path` as a JSON pointer segment (RFC 6901 escaping)."""
    return path.replace("~", "~0").replace("/", "~1")


def link(
    method: str,
    path: str,
    description: str,
    parameters: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A link to the operation `method path` (under /api/v1), with values taken from the answer
    by runtime expressions such as `$response.body#/id`."""
    definition: dict[str, Any] = {
        "operationRef": f"#/paths/{_pointer(API + path)}/{method}",
        "description": description,
    }
    if parameters:
        definition["parameters"] = parameters
    if body is not None:
        definition["requestBody"] = body
    return definition


def links(status: int, **named: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of a route decorator declaring `named` links on `status`."""
    return {status: {"links": named}}


def account_links(status: int, account_id: str) -> dict[int | str, dict[str, Any]]:
    """Where an account leads: its page, lifecycle, stewards, authorizations and posts to it."""
    account = {"account_id": account_id}
    return links(
        status,
        account=link("get", "/accounts/{account_id}", "The account's record.", account),
        decide=link(
            "post", "/accounts/{account_id}/{action}", "Authorize, revoke, suspend…", account
        ),
        reauthorize=link("post", "/accounts/{account_id}/reauthorize", "Review it.", account),
        add_steward=link("post", "/accounts/{account_id}/stewards", "Add a steward.", account),
        authorizations=link(
            "get", "/accounts/{account_id}/authorizations", "Its authorizations.", account
        ),
        post_to_it=link(
            "post", "/posts", "Draft a post for it.", body={"account_ids": [account_id]}
        ),
    )


def post_links(status: int) -> dict[int | str, dict[str, Any]]:
    """Where a post leads: its submission, withdrawal and the review of its current revision."""
    post = {"post_id": "$response.body#/id"}
    revision = {"revision_id": "$response.body#/revision_id"}
    return links(
        status,
        submit=link("post", "/posts/{post_id}/submit", "Submit it for review.", post),
        withdraw=link("post", "/posts/{post_id}/withdraw", "Withdraw it.", post),
        approve=link("post", "/posts/{post_id}/approve", "Approve this revision.", post, revision),
        request_changes=link(
            "post", "/posts/{post_id}/request-changes", "Send it back.", post, revision
        ),
        reject=link("post", "/posts/{post_id}/reject", "Reject this revision.", post, revision),
        revisions=link("get", "/posts/{post_id}/revisions", "Its revisions.", post),
    )
