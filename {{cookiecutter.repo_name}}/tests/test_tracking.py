"""Tracking setup: one store at the project root, .env support, safe parallel first runs."""

import multiprocessing
import sys

import pytest

from {{ cookiecutter.module_name }}.tracking import registry, retries, runs, store


@pytest.fixture
def project_root(tmp_path, monkeypatch):
    """Pretend the project lives in an empty temporary folder, without MLFLOW_TRACKING_URI."""
    monkeypatch.setattr(store, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    return tmp_path


def test_default_store_is_at_the_project_root_whatever_the_working_directory(
    project_root, monkeypatch
):
    (project_root / "notebooks").mkdir()
    monkeypatch.chdir(project_root / "notebooks")
    assert store.tracking_uri() == store.sqlite_uri(project_root / "mlflow.db")


def test_dotenv_sets_the_store_without_overriding_the_environment(project_root, monkeypatch):
    (project_root / ".env").write_text("MLFLOW_TRACKING_URI=sqlite:///team.db\n")
    # A relative SQLite path is taken from the project root, not the working directory.
    assert store.tracking_uri() == store.sqlite_uri(project_root / "team.db")

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://store.example.com")
    assert store.tracking_uri() == "http://store.example.com"


def test_ui_serves_the_local_store_by_absolute_paths(project_root):
    command, _ = store.ui_command(store.tracking_uri())
    backend = command[command.index("--backend-store-uri") + 1]
    assert backend == store.sqlite_uri(project_root / "mlflow.db")
    assert (project_root / "mlartifacts").as_uri() in command
    assert command[command.index("--host") + 1] == "127.0.0.1"


def test_new_experiments_keep_artifacts_next_to_the_store(tracking_store, isolated_tracking):
    import mlflow

    experiment_id = store.set_experiment("artifacts-location")
    location = mlflow.get_experiment(experiment_id).artifact_location
    assert location == (isolated_tracking.parent / "mlartifacts" / experiment_id).as_uri()


def first_run(barrier):
    """What every `make train` does first on a store, started at the same time as others."""
    import mlflow

    barrier.wait(timeout=60)
    store.configure()
    with mlflow.start_run(experiment_id=store.set_experiment("parallel")):
        mlflow.log_metric("ok", 1.0)


@pytest.mark.slow
def test_parallel_first_runs_on_a_fresh_store_all_succeed(isolated_tracking):
    """Four processes start a run at the same moment on a store that does not exist yet."""
    # Forked processes inherit the imports, so they all reach the store at once (and fast).
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    barrier = context.Barrier(4)
    processes = [context.Process(target=first_run, args=(barrier,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    import mlflow

    store.configure()
    assert len(mlflow.search_runs(experiment_names=["parallel"])) == 4


def test_only_versions_of_runs_that_failed_or_were_killed_are_withdrawn(tracking_store, tmp_path):
    import mlflow

    client = mlflow.MlflowClient()
    experiment_id = store.set_experiment("withdrawals")
    client.create_registered_model("withdrawn-model")
    for status in ("FINISHED", "FAILED", "KILLED", "RUNNING"):  # versions 1 to 4
        run_id = client.create_run(experiment_id).info.run_id
        if status != "RUNNING":
            client.set_terminated(run_id, status)
        client.create_model_version("withdrawn-model", str(tmp_path), run_id=run_id)

    assert sorted(registry.withdraw_unfinished("withdrawn-model", experiment_id)) == ["2", "3"]
    left = client.search_model_versions("name = 'withdrawn-model'")
    assert sorted(str(version.version) for version in left) == ["1", "4"]
    assert registry.withdraw_unfinished("withdrawn-model", experiment_id) == []


def test_a_start_whose_answer_was_lost_leaves_one_run(tracking_store, monkeypatch):
    """A busy server writes a start after it timed out, and after the retry looked for it."""
    import mlflow

    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)
    experiment_id = store.set_experiment("lost-answers")
    real_start_run = mlflow.start_run
    late = []

    def start_run(**arguments):
        if not late:  # the first try: no answer in time
            late.append(arguments["tags"])
            raise TimeoutError("Read timed out")
        run = real_start_run(**arguments)
        twin = mlflow.MlflowClient().create_run(experiment_id, tags=late[0])  # written late
        late.append(twin.info.run_id)
        return run

    monkeypatch.setattr(mlflow, "start_run", start_run)
    with runs.tracked_run(experiment_id, "train") as run:
        pass

    left = mlflow.search_runs([experiment_id], output_format="list")
    assert [(kept.info.run_id, kept.info.status) for kept in left] == [
        (run.info.run_id, "FINISHED")
    ]
    twin = mlflow.MlflowClient().get_run(late[1])
    assert (twin.info.lifecycle_stage, twin.info.status) == ("deleted", "KILLED")
    assert twin.data.tags["closed_because"] == f"a duplicate start of run {run.info.run_id}"


@pytest.mark.parametrize("written", ["before the retry looked", "after the retry looked"])
def test_a_registration_whose_answer_was_lost_leaves_one_version(
    tracking_store, monkeypatch, tmp_path, written
):
    """A busy server writes a version, answers too late, and the registration is retried."""
    import mlflow

    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)
    real_register_model = mlflow.register_model
    tries = []

    def register_model(model_uri, name):
        tries.append(model_uri)
        if len(tries) == 1:  # the first try: no answer in time
            if written == "before the retry looked":
                real_register_model(model_uri, name)
            raise TimeoutError("Read timed out")
        version = real_register_model(model_uri, name)
        real_register_model(model_uri, name)  # the first try, written late
        return version

    monkeypatch.setattr(mlflow, "register_model", register_model)
    model = str(tmp_path / "model")
    version = registry.register(model, "lost-answers", metrics={"accuracy": 0.9})

    left = mlflow.MlflowClient().search_model_versions("name = 'lost-answers'")
    assert [(str(each.version), each.tags) for each in left] == [("1", {"accuracy": "0.9"})]
    assert str(version.version) == "1"
    assert len(tries) == (1 if written == "before the retry looked" else 2)
