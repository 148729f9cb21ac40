"""A scan's plan: searches first, then lookups in full platform batches."""

from service.scans.discovery import plan_steps
from workflows.impersonation import InstitutionProfile, OfficialAccount
from workflows.platforms import Platform

SCHOOL = InstitutionProfile(
    name="Harbor Point Community College",
    aliases=("HPCC", "Harbor Point College"),
    domains=("hpcc.example",),
    official_accounts=(
        OfficialAccount(Platform.x, "HarborPointCC", "Harbor Point Community College"),
        OfficialAccount(Platform.x, "HPCC_Nursing", "HPCC Nursing"),
    ),
)


def test_every_x_lookup_call_carries_a_full_batch() -> None:
    steps = plan_steps(SCHOOL, Platform.x, batch_size=100)
    lookups = [s for s in steps if s.kind == "lookup"]
    assert lookups and all(len(s.handles) == 100 for s in lookups)
    assert steps[0].kind == "query"
    looked_up = [h.casefold() for s in lookups for h in s.handles]
    assert len(looked_up) == len(set(looked_up))
    assert not {"harborpointcc", "hpcc_nursing"} & set(looked_up)  # never the register's own
