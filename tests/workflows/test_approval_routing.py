"""Approval routing over plain data: ordered steps per account, any/all, then the rules' needs."""

from datetime import UTC, datetime, timedelta

from workflows.approval_routing import (
    ALL,
    Approval,
    Need,
    RouteFacts,
    Step,
    approval_expires_at,
    needs_labels,
    refusal,
    route,
    with_approval,
)

AUTHOR = 1
DESIGNEE, DESIGNEE_2, SITE_ADMIN, SITE_ADMIN_2, BOSS = 10, 11, 20, 21, 30
ROLES = {
    DESIGNEE: "designee",
    DESIGNEE_2: "designee",
    SITE_ADMIN: "site_admin",
    SITE_ADMIN_2: "site_admin",
    BOSS: "superintendent",
}
RELEASE = frozenset({"designee"})


def by(*user_ids: int) -> tuple[Approval, ...]:
    return tuple(Approval(i, ROLES[i]) for i in user_ids)


def facts(
    *steps: Step, needs: frozenset[str] = RELEASE, approved: tuple[int, ...] = ()
) -> RouteFacts:
    return RouteFacts(
        author_id=AUTHOR,
        steps=steps,
        rule_needs=needs,
        approvals=by(*approved),
        role_members={"site_admin": frozenset({SITE_ADMIN, SITE_ADMIN_2})},
    )


def test_no_steps_is_the_rules_needs_side_by_side() -> None:
    both = route(facts(needs=frozenset({"designee", "site_admin"})))
    assert [n.role for n in both.pending] == ["designee", "site_admin"]
    assert both.current == both.pending
    assert both.may_act(SITE_ADMIN, "site_admin") and both.may_act(DESIGNEE, "designee")
    assert not both.may_act(2, "staff")
    half = route(facts(needs=frozenset({"designee", "site_admin"}), approved=(SITE_ADMIN,)))
    assert [n.role for n in half.pending] == ["designee"]
    assert route(facts(approved=(BOSS,), needs=frozenset({"designee", "site_admin"}))).complete


def test_refusal_without_steps_names_the_missing_role() -> None:
    message = refusal(facts(), SITE_ADMIN, "site_admin")
    assert message == "This revision needs approval by: designee; a site_admin cannot give it."
    assert refusal(facts(), DESIGNEE, "designee") is None


def test_steps_are_taken_in_order() -> None:
    first = Step(5, 1, role="site_admin")
    second = Step(5, 2, user_ids=frozenset({DESIGNEE_2}))
    waiting = route(facts(first, second))
    assert [n.position for n in waiting.current] == [1]
    assert not waiting.may_act(DESIGNEE_2, "designee")  # on step 2, not yet
    assert "step 1: site_admin" in (refusal(facts(first, second), DESIGNEE_2, "designee") or "")
    after_first = route(facts(first, second, approved=(SITE_ADMIN,)))
    assert [n.position for n in after_first.current] == [2]
    assert after_first.may_act(DESIGNEE_2, "designee")
    assert not after_first.may_act(DESIGNEE, "designee")  # a designee, but not the named one
    # The release need is still there: a designee's approval at step 2 meets it too.
    assert [n.role for n in after_first.pending] == [None, "designee"]
    assert route(facts(first, second, approved=(SITE_ADMIN, DESIGNEE_2))).complete


def test_release_is_dropped_when_a_step_already_gives_it() -> None:
    step = Step(5, 1, role="designee")
    assert [(n.account_id, n.role) for n in route(facts(step)).pending] == [(5, "designee")]
    assert route(facts(step, approved=(DESIGNEE,))).complete


def test_rules_needs_come_after_the_steps() -> None:
    step = Step(5, 1, user_ids=frozenset({DESIGNEE}))
    routing = route(facts(step, needs=frozenset({"designee", "site_admin"})))
    assert [n.role for n in routing.pending] == [None, "designee", "site_admin"]
    assert not routing.may_act(SITE_ADMIN, "site_admin")  # the group photo waits for the route
    done = route(facts(step, needs=frozenset({"designee", "site_admin"}), approved=(DESIGNEE,)))
    assert [n.role for n in done.current] == ["site_admin"]
    assert done.may_act(SITE_ADMIN, "site_admin")


def test_all_of_named_users() -> None:
    step = Step(5, 1, rule=ALL, user_ids=frozenset({DESIGNEE, DESIGNEE_2}))
    one = route(facts(step, approved=(DESIGNEE,)))
    assert one.pending[0] == Need(None, frozenset({DESIGNEE_2}), ALL, 5, 1)
    assert one.may_act(DESIGNEE_2, "designee") and not one.may_act(BOSS, "superintendent")
    assert route(facts(step, approved=(DESIGNEE, DESIGNEE_2))).complete


def test_any_of_named_users() -> None:
    step = Step(5, 1, user_ids=frozenset({DESIGNEE, DESIGNEE_2}))
    assert route(facts(step, approved=(DESIGNEE_2,))).complete
    assert not route(facts(step)).may_act(BOSS, "superintendent")


def test_all_of_a_role_needs_every_member_or_the_superintendent() -> None:
    step = Step(5, 1, rule=ALL, role="site_admin")
    one = route(facts(step, approved=(SITE_ADMIN,)))
    assert one.pending[0].user_ids == {SITE_ADMIN_2}
    assert needs_labels(one, {SITE_ADMIN_2: "b@s"})[0] == "every site_admin (b@s still to approve)"
    assert not one.may_act(SITE_ADMIN, "site_admin")  # already approved: the others must
    assert route(facts(step, approved=(SITE_ADMIN, SITE_ADMIN_2, DESIGNEE))).complete
    assert route(facts(step, approved=(BOSS,))).complete


def test_a_step_nobody_can_give_falls_to_the_superintendent() -> None:
    step = Step(5, 1, user_ids=frozenset({AUTHOR}))
    routing = route(facts(step))
    assert routing.current[0].role == "superintendent"
    assert routing.may_act(BOSS, "superintendent") and not routing.may_act(DESIGNEE, "designee")


def test_several_targets_each_follow_their_own_steps() -> None:
    a = Step(5, 1, role="site_admin")
    b1 = Step(6, 1, user_ids=frozenset({DESIGNEE}))
    b2 = Step(6, 2, user_ids=frozenset({DESIGNEE_2}))
    start = route(facts(a, b1, b2))
    assert [(n.account_id, n.position) for n in start.current] == [(5, 1), (6, 1)]
    assert start.may_act(SITE_ADMIN, "site_admin") and start.may_act(DESIGNEE, "designee")
    assert not start.may_act(DESIGNEE_2, "designee")
    later = route(facts(a, b1, b2, approved=(DESIGNEE,)))
    assert [(n.account_id, n.position) for n in later.current] == [(5, 1), (6, 2)]
    assert not route(facts(a, b1, b2, approved=(DESIGNEE, DESIGNEE_2))).complete
    assert route(facts(a, b1, b2, approved=(DESIGNEE, DESIGNEE_2, SITE_ADMIN))).complete


def test_one_person_on_two_steps_approves_once() -> None:
    first = Step(5, 1, role="designee")
    second = Step(5, 2, user_ids=frozenset({DESIGNEE}))
    assert route(facts(first, second, approved=(DESIGNEE,))).complete


def test_with_approval_adds_one() -> None:
    base = facts(Step(5, 1, role="site_admin"))
    assert route(with_approval(base, Approval(SITE_ADMIN, "site_admin"))).current[0].role == (
        "designee"
    )


def test_approval_expiry() -> None:
    approved = datetime(2026, 3, 1, 9, tzinfo=UTC)
    publish = datetime(2026, 3, 10, 8, tzinfo=UTC)
    kwargs = {"days_after_schedule": 7, "days_unscheduled": 30}
    assert approval_expires_at(approved, publish, **kwargs) == publish + timedelta(days=7)
    assert approval_expires_at(approved, None, **kwargs) == approved + timedelta(days=30)
