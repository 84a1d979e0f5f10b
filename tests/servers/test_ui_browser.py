"""The MLflow UI of a generated project, in a real browser: model training, readable runs.

Slow: bakes and installs a project, trains twice (once with an override), starts `make ui`
and drives Debian's Chromium through Playwright (Playwright's own browser download is not
used: it needs a CDN). Chromium is installed with apt-get when it is missing and this runs
as root; the test skips, saying why, only where that is impossible.

Screenshots are written to the test's temporary folder and copied to ``$TEST_ARTIFACTS``
(default: ``test-artifacts/`` at the repository root, ignored by git), for a person to look
at after CI.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testkit.baking import BakedProject, install_project, user_environment
from testkit.running import free_port, wait_for_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS") or Path(__file__).parents[2] / "test-artifacts")
BASELINE, OVERRIDDEN = "logistic_regression seed=42", "logistic_regression C=0.1 seed=42"
# A printed run link: the experiment's page and the query that selects model training.
RUN_LINK = re.compile(r"(http://\S+/#/experiments/\d+)/runs/[0-9a-f]{32}\?(\S+)")
# Links of the side bar that only the UI's GenAI view has (MLflow 3.17).
GENAI_ONLY = ("Sessions", "Judges", "Prompts")
NOTE = "does a smaller C overfit less?"
TIMEOUT_MS = 120_000  # the UI's first page load compiles a lot on a busy machine


def chromium() -> Path:
    """Debian's Chromium, installed with apt-get if missing; skip if it cannot be."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("Chromium is missing and cannot be installed (needs apt-get, as root)")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"`{' '.join(command)}` failed: {result.stderr[-500:]}")
    return CHROMIUM


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[BakedProject, str]:
    """A project with two training runs; returns it and the link `train` printed."""
    baked = install_project(tmp_path_factory.mktemp("ui"), "UI Check")
    baked.make("train")
    second = baked.make("train", f"ARGS=model.params.C=0.1 --description '{NOTE}'")
    return baked, second.stdout


def test_the_ui_shows_readable_runs_in_model_training_mode(project, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    browser_path = chromium()
    baked, train_output = project
    link = RUN_LINK.search(train_output)
    assert link, f"train printed no run link:\n{train_output}"
    port = free_port()
    experiment_page = f"{link.group(1)}/runs?{link.group(2)}".replace(":5000/", f":{port}/")
    log = tmp_path / "ui.log"

    with log.open("w") as output:
        server = subprocess.Popen(
            ["make", "ui", f"ARGS=--port {port}"],
            cwd=baked.path,
            env=user_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, server, log)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(browser_path), args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(experiment_page)

            # Model training: the runs table, by readable names; no GenAI pages.
            for name in (BASELINE, OVERRIDDEN):
                page.get_by_text(name, exact=True).first.wait_for()
            page.get_by_text("Run Name", exact=True).first.wait_for()
            assert "workflowType=machine_learning" in page.url
            lines = page.inner_text("body").splitlines()
            assert not [item for item in GENAI_ONLY if item in lines]
            screenshot(page, tmp_path / "ui-runs.png")

            # The metrics and the run's note are one click away.
            page.get_by_text(OVERRIDDEN, exact=True).first.click()
            page.get_by_text("roc_auc", exact=True).first.wait_for()
            body = page.inner_text("body")
            assert "accuracy" in body
            assert NOTE in body
            screenshot(page, tmp_path / "ui-run.png")

            # The run's link drops the view (MLflow 3.17): the switch that docs/tracking.md
            # tells users to choose once is remembered for the experiment's pages.
            page.get_by_text("Model training", exact=True).first.click()
            page.goto(experiment_page.partition("?")[0])
            page.get_by_text(BASELINE, exact=True).first.wait_for()
            lines = page.inner_text("body").splitlines()
            assert not [item for item in GENAI_ONLY if item in lines]
            browser.close()
    finally:
        stopped = stop(server)
    assert stopped, f"`make ui` was still running 30 s after SIGTERM:\n{log.read_text()[-3000:]}"
    ui_log = log.read_text()
    assert "StarletteDeprecationWarning" not in ui_log
    assert "GET /" not in ui_log  # no line per request


def screenshot(page, path: Path) -> None:  # page: a playwright Page, imported lazily
    """Save a full-page screenshot in the test's folder and in the artifacts folder."""
    page.screenshot(path=str(path), full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def stop(server: subprocess.Popen) -> bool:
    """SIGTERM the server's process group (make, the CLI, mlflow, uvicorn); True if all end."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        server.poll()  # reap make itself once it exits: a zombie still counts in the group
        try:
            os.killpg(server.pid, 0)  # any process of the group left?
        except ProcessLookupError:
            server.wait(timeout=5)
            return True
        time.sleep(0.5)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    return False
