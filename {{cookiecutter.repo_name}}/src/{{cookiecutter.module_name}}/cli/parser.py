"""The command line's arguments: one sub-command per workflow.

Only the standard library and light modules are imported here, so that ``--help`` answers
at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..tracking.store import UI_PORT
from ..workflows.launching import SERVE_HOST, SERVE_PORT
from ..workflows.server import (
    PERMISSIONS,
    SERVER_HOST,
    SERVER_PORT,
    SERVER_WORKERS,
)

PROG = f"python -m {__package__.rpartition('.')[0]}"

EXAMPLES = f"""\
examples:
  {PROG} train                               # configs/classification.yaml
  {PROG} train regression                    # configs/regression.yaml
  {PROG} train model.params.C=0.5 split.seed=7
  {PROG} sweep --trials 6                    # Optuna search of the config's sweep section
  {PROG} evaluate                            # the 'candidate' model, held-out rows
  {PROG} promote                             # candidate vs champion on the same rows
  {PROG} predict data/raw/new.csv --keep id  # the champion's predictions, to a file
  {PROG} serve                               # REST API of the champion on 127.0.0.1:{SERVE_PORT}
  {PROG} keygen                              # your model signing key (make install runs it)
  {PROG} monitor data/raw/new_labelled.csv   # drift and performance: retrain or not
  {PROG} compare --plot                      # leaderboard, per set of held-out rows
  {PROG} reproduce RUN_ID                    # train a run again, compare every metric
  {PROG} ui                                  # http://127.0.0.1:{UI_PORT}
  {PROG} server                              # the team's secured tracking server

exit statuses: 0 done, 1 unexpected error, 2 bad input or refused,
  3 promote: the challenger lost, 4 monitor: retraining recommended,
  5 reproduce: a metric came out different,
  130 / 143: stopped by Ctrl-C / SIGTERM (the run is marked KILLED)
"""

ITEMS_HELP = (
    "a config file or a name in configs/ (default: classification), then KEY=VALUE "
    "overrides of single values, parsed as YAML, e.g. model.params.C=0.5"
)
ITEMS_METAVAR = "[CONFIG] [KEY=VALUE ...]"
VERBOSE_HELP = (
    "also show the libraries' log lines and known warnings (MLflow's INFO lines, the UI "
    "server's requests...), hidden by default"
)
TRUST_PICKLE_HELP = (
    "also load a model no trusted signer signed (one from outside this project): loading "
    "it can run any code its author put in it, so only if you trust its source (recorded "
    "on the run)"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train, promote, predict, serve and monitor this project's models.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    # Accepted after the command too (`make train ARGS=-v`); SUPPRESS keeps a -v given first.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=description, parents=[verbose])

    def run_labels(sub: argparse.ArgumentParser, default_name: str) -> None:
        sub.add_argument(
            "--run-name", metavar="NAME", help=f"the run's name (default: {default_name})"
        )
        sub.add_argument(
            "--description", metavar="TEXT", help="the run's note, shown on its page in the UI"
        )

    def config_items(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("items", nargs="*", metavar=ITEMS_METAVAR, help=ITEMS_HELP)

    def trust_pickle(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)

    train = command(
        "train",
        "train and evaluate a model from a config, tracked in MLflow",
        "Train a model, evaluate it on held-out rows and log the run to MLflow; the model "
        "is registered with the alias 'candidate'.",
    )
    config_items(train)
    run_labels(train, "the model, the overrides and the split seed, e.g. 'SVC C=0.5 seed=42'")

    sweep = command(
        "sweep",
        "search model parameters with Optuna, each trial a tracked training",
        "Run an Optuna study over the config's sweep section; each trial is a training, "
        "nested under the study's parent run. Started in several shells or machines with "
        "the same OPTUNA_STORAGE, the workers share the study and split its trials; the "
        "same command resumes an interrupted study. See docs/sweeps.md.",
    )
    config_items(sweep)
    sweep.add_argument(
        "--trials", type=int, help="trials the study finishes, over all workers (sweep.trials)"
    )
    sweep.add_argument("--study", help="the study to create or join (default: the experiment)")
    sweep.add_argument(
        "--register-best",
        action="store_true",
        help="when the study is done, register the best trial's model as the 'candidate'",
    )

    evaluate = command(
        "evaluate",
        "evaluate a logged or registered model on a config's held-out rows",
        "Evaluate a model from the store on the held-out rows of a config, as a new run in "
        "the config's experiment.",
    )
    config_items(evaluate)
    evaluate.add_argument(
        "--model-uri",
        help="the model, e.g. runs:/<run id>/model or models:/<name>/<version> "
        "(default: models:/<registered_model>@candidate)",
    )
    run_labels(evaluate, "'evaluate <model> seed=<split seed>'")
    trust_pickle(evaluate)

    promote = command(
        "promote",
        "make the candidate the champion if it beats the champion on the same rows",
        "Score the challenger (the 'candidate', or --version) and the 'champion' on the "
        "config's held-out rows and move 'champion' to the challenger if it is better by the "
        "config's promotion.margin. Exit status 3 when the challenger lost.",
    )
    config_items(promote)
    promote.add_argument("--version", help="the challenger's version (default: the candidate)")
    promote.add_argument(
        "--allow-other-rows",
        action="store_true",
        help="compare even if a model was trained with other held-out rows (recorded)",
    )
    promote.add_argument(
        "--force",
        metavar="REASON",
        help="promote whatever the comparison says, for this reason (recorded with your name)",
    )
    trust_pickle(promote)

    predict = command(
        "predict",
        "write the champion's predictions for a CSV or Parquet file",
        "Score a CSV or Parquet file in chunks with a registered model (default: the "
        "champion) and write the predictions, and scores, to a file; tracked as a run.",
    )
    predict.add_argument("input", type=Path, help="the CSV or Parquet file to score")
    config_items(predict)
    predict.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    predict.add_argument(
        "--output", type=Path, help="default: data/predictions/<input name>.predictions.<ext>"
    )
    predict.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="copy this input column to the output, e.g. an id (repeatable)",
    )
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output")
    trust_pickle(predict)

    serve = command(
        "serve",
        "serve a REST API of the champion with MLflow's scoring server",
        "Serve a registered model (default: the champion, resolved once to a fixed version "
        "and verified) with MLflow's scoring server: GET /ping, POST /invocations.",
    )
    config_items(serve)
    serve.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    serve.add_argument(
        "--host", default=SERVE_HOST, help=f"default: {SERVE_HOST} (this machine only)"
    )
    serve.add_argument("--port", type=int, default=SERVE_PORT, help=f"default: {SERVE_PORT}")
    trust_pickle(serve)

    monitor = command(
        "monitor",
        "check a new batch for drift and the champion's performance: retrain or not",
        "Compare a batch with the champion's training data (per-feature drift tests) and, "
        "if it has the target column, the champion's metrics with its baseline. Exit status "
        "4 when retraining is recommended.",
    )
    monitor.add_argument("input", type=Path, help="the CSV or Parquet batch")
    config_items(monitor)
    trust_pickle(monitor)

    compare = command(
        "compare",
        "leaderboard of an experiment's training runs, per set of held-out rows",
        "Rank the finished training runs of an experiment by its config's deciding metric "
        "(promotion.metric, or the evaluator's key metric). Runs scored on different "
        "held-out rows are in different tables, never ranked together.",
    )
    compare.add_argument(
        "experiment",
        nargs="?",
        metavar="EXPERIMENT",
        help="the experiment to rank (default: the default config's experiment)",
    )
    compare.add_argument(
        "--config",
        help="the config naming the ranking metric and registered model (default: the "
        "config in configs/ of that experiment)",
    )
    compare.add_argument(
        "--plot", action="store_true", help="also save a figure to reports/figures/"
    )

    reproduce = command(
        "reproduce",
        "train a logged run again from its config and check every metric",
        "Rebuild a training run's config from its config.yaml, check that the commit and the "
        "dataset version match the run's, train again (not registered) and compare every "
        "metric. Exit status 5 when a metric differs by more than the tolerance.",
    )
    reproduce.add_argument("run_id", metavar="RUN_ID", help="the training run to reproduce")
    reproduce.add_argument(
        "--tolerance",
        type=float,
        default=1e-9,
        help="largest absolute or relative difference that still counts as equal (default: 1e-9)",
    )
    reproduce.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="go ahead even if the commit or the dataset differ (recorded on the run)",
    )

    ui = command(
        "ui",
        "serve the MLflow UI for this project's runs on 127.0.0.1",
        "Serve the MLflow UI for the project's store (or print the tracking server's "
        "address when MLFLOW_TRACKING_URI points at one).",
    )
    ui.add_argument("--port", type=int, default=UI_PORT, help=f"port (default: {UI_PORT})")

    keygen = command(
        "keygen",
        "create your model signing key and trust it in this project",
        "Create your private signing key (outside the repository; MODEL_SIGNING_KEY names "
        "another) unless you have one, and write its public key to trusted-signers/, to "
        "commit. Every model you train is signed with it; every command loads only models "
        "signed by a key in trusted-signers/.",
    )
    keygen.add_argument(
        "--name", help="the public key's file name (default: git's user.email, or user@host)"
    )

    server = command(
        "server",
        "run the team's tracking server: PostgreSQL, proxied artifacts, logins",
        "Start MLflow's tracking server with basic-auth, its runs and users in the "
        "PostgreSQL database of MLFLOW_BACKEND_STORE_URI. Needs MLFLOW_AUTH_ADMIN_PASSWORD "
        "and MLFLOW_FLASK_SERVER_SECRET_KEY (environment or .env).",
    )
    server.add_argument(
        "--host",
        default=SERVER_HOST,
        help=f"default: {SERVER_HOST}; 0.0.0.0 exposes it: put a TLS reverse proxy in front",
    )
    server.add_argument("--port", type=int, default=SERVER_PORT, help=f"default: {SERVER_PORT}")
    server.add_argument(
        "--workers", type=int, default=SERVER_WORKERS, help=f"default: {SERVER_WORKERS}"
    )

    add_user = command(
        "add-user",
        "add a teammate to the tracking server (as its admin)",
        "Create a user on the tracking server of MLFLOW_TRACKING_URI, authenticated as an "
        "admin with MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD. The new password "
        "is asked for (or read from standard input).",
    )
    add_user.add_argument("username")
    add_user.add_argument("--experiment", help="grant the permission on this experiment")
    add_user.add_argument(
        "--registered-model", help="grant the permission on this registered model too"
    )
    add_user.add_argument(
        "--permission",
        default="EDIT",
        choices=PERMISSIONS,
        help="READ, EDIT (log runs, register versions) or MANAGE (default: EDIT)",
    )

    close_stale = command(
        "close-stale",
        "mark as KILLED the runs left RUNNING by a process that died",
        "Runs of this machine whose process is gone are closed at every command's start; "
        "this also closes runs of any machine running for longer than --hours.",
    )
    config_items(close_stale)
    close_stale.add_argument(
        "--hours", type=float, default=24.0, help="close runs older than this (default: 24)"
    )
    return parser
