"""`imprimatur scan run`, as a new user types it after `make demo`."""

from typer.testing import CliRunner

from service.cli import app as cli
from tests.scans.conftest import IMPOSTORS, findings


def test_scan_run_prints_a_summary(demo_db: str) -> None:
    result = CliRunner().invoke(cli, ["scan", "run", "--platform", "simulated"])
    assert result.exit_code == 0, result.output
    assert "Scan summary" in result.output and "simulated (run 1)" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert lines["status"].count("finished") == 1 and " 6 " in lines["new"]
    assert "api calls" in lines and "candidates" in lines and "seconds" in lines
    assert "6 finding(s) await triage" in result.output
    assert {f.handle for f in findings()} >= IMPOSTORS


def test_scan_run_without_a_platform_scans_the_demo(demo_db: str) -> None:
    result = CliRunner().invoke(cli, ["scan", "run", "--budget", "2"])
    assert result.exit_code == 0, result.output
    assert "budget_exhausted" in result.output and "budget of 2" in result.output


def test_a_failed_scan_exits_non_zero(demo_db: str) -> None:
    result = CliRunner().invoke(cli, ["scan", "run", "--platform", "myspace"])
    assert result.exit_code == 1 and "failed" in result.output
