"""The operations commands: the MLflow UI, signing keys, the team's server, stale runs.

Each command's arguments and what it does are side by side; what a command calls is
imported when it runs, so that ``--help`` imports no heavy library.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ..operations.tracking_server import SERVER_HOST, SERVER_PORT, SERVER_WORKERS
from ..tracking.store import UI_HOST, UI_PORT
from ..tracking.users import PERMISSIONS
from .common import AddCommand, ExitStatus, add_config_items, config_of


def add_commands(add: AddCommand) -> None:
    """Add the operations commands to the command line."""
    for define in (
        _define_ui,
        _define_keygen,
        _define_server,
        _define_add_user,
        _define_close_stale,
    ):
        define(add)


def _define_ui(add: AddCommand) -> None:
    parser = add(
        "ui",
        "serve the MLflow UI for this project's runs on 127.0.0.1",
        "Serve the MLflow UI for the project's store (or print the tracking server's "
        "address when MLFLOW_TRACKING_URI points at one).",
    )
    parser.add_argument("--port", type=int, default=UI_PORT, help=f"port (default: {UI_PORT})")
    parser.set_defaults(handler=ui)


def _define_keygen(add: AddCommand) -> None:
    parser = add(
        "keygen",
        "create your model signing key and trust it in this project",
        "Create your private signing key (outside the repository; MODEL_SIGNING_KEY names "
        "another) unless you have one, and write its public key to trusted-signers/, to "
        "commit. Every model you train is signed with it; every command loads only models "
        "signed by a key in trusted-signers/.",
    )
    parser.add_argument(
        "--name", help="the public key's file name (default: git's user.email, or user@host)"
    )
    parser.set_defaults(handler=keygen)


def _define_server(add: AddCommand) -> None:
    parser = add(
        "server",
        "run the team's tracking server: PostgreSQL, proxied artifacts, logins",
        "Start MLflow's tracking server with basic-auth, its runs and users in the "
        "PostgreSQL database of MLFLOW_BACKEND_STORE_URI. Needs MLFLOW_AUTH_ADMIN_PASSWORD "
        "and MLFLOW_FLASK_SERVER_SECRET_KEY (environment or .env).",
    )
    parser.add_argument(
        "--host",
        default=SERVER_HOST,
        help=f"default: {SERVER_HOST}; 0.0.0.0 exposes it: put a TLS reverse proxy in front",
    )
    parser.add_argument("--port", type=int, default=SERVER_PORT, help=f"default: {SERVER_PORT}")
    parser.add_argument(
        "--workers", type=int, default=SERVER_WORKERS, help=f"default: {SERVER_WORKERS}"
    )
    parser.set_defaults(handler=server)


def _define_add_user(add: AddCommand) -> None:
    parser = add(
        "add-user",
        "add a teammate to the tracking server (as its admin)",
        "Create a user on the tracking server of MLFLOW_TRACKING_URI, authenticated as an "
        "admin with MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD. The new password "
        "is asked for (or read from standard input).",
    )
    parser.add_argument("username")
    parser.add_argument("--experiment", help="grant the permission on this experiment")
    parser.add_argument(
        "--registered-model", help="grant the permission on this registered model too"
    )
    parser.add_argument(
        "--permission",
        default="EDIT",
        choices=PERMISSIONS,
        help="READ, EDIT (log runs, register versions) or MANAGE (default: EDIT)",
    )
    parser.set_defaults(handler=add_user)


def _define_close_stale(add: AddCommand) -> None:
    parser = add(
        "close-stale",
        "mark as KILLED the runs left RUNNING by a process that died",
        "Runs of this machine whose process is gone are closed at every command's start; "
        "this also closes runs of any machine running for longer than --hours, and withdraws "
        "the registered versions of trainings that did not finish.",
    )
    add_config_items(parser)
    parser.add_argument(
        "--hours", type=float, default=24.0, help="close runs older than this (default: 24)"
    )
    parser.set_defaults(handler=close_stale)


def keygen(args: argparse.Namespace) -> int:
    """Create this person's signing key, and trust its public key in this project."""
    from .. import keys

    setup = keys.create_key(args.name)
    made = "created" if setup.created_private else "kept the existing"
    print(f"Signing key: {made} {setup.private_key} (private: never share or commit it)")
    if setup.created_public:
        relative = setup.public_key.relative_to(setup.public_key.parent.parent)
        print(
            f"Public key: {setup.public_key}. Commit it (git add {relative} && git commit -m "
            "'Trust my model signing key'): until then only this checkout trusts your models."
        )
    else:
        print(f"Public key: {setup.public_key} (already trusted by this project)")
    return ExitStatus.OK


def ui(args: argparse.Namespace) -> int:
    """Replace this process with the MLflow UI of the project's store."""
    from ..tracking import store

    uri = store.tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"Runs are on the tracking server: open {uri} in a browser.")
        return ExitStatus.OK
    database = store.sqlite_path(uri)
    if database is not None and not database.exists():
        store.configure()  # create the store under the project's lock, not by the UI
    command, environment = store.ui_command(uri, args.port, verbose=args.verbose)
    print(
        f"MLflow UI for {uri}\n  on http://{UI_HOST}:{args.port} (Ctrl+C to stop)\n"
        "  Choose 'Model training' at the top left to see runs (the UI opens in its GenAI "
        "view), or open the links that train and evaluate print.",
        flush=True,
    )
    os.execve(command[0], command, environment)  # the server replaces this process


def server(args: argparse.Namespace) -> int:
    """Run the team's tracking server until it stops."""
    from ..operations.tracking_server import run_server

    return run_server(args.host, args.port, args.workers)


def add_user(args: argparse.Namespace) -> int:
    """Create a user on the tracking server."""
    from ..tracking import store
    from ..tracking.users import add_user

    uri = store.tracking_uri()
    if not uri.startswith(("http://", "https://")):
        print("error: MLFLOW_TRACKING_URI must point at the tracking server", file=sys.stderr)
        return ExitStatus.REFUSED
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.username}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    add_user(uri, args.username, password, args.experiment, args.registered_model, args.permission)
    targets = [repr(name) for name in (args.experiment, args.registered_model) if name]
    granted = f", {args.permission} on {' and '.join(targets)}" if targets else ""
    print(f"User {args.username!r} added to {uri}{granted}.")
    return ExitStatus.OK


def close_stale(args: argparse.Namespace) -> int:
    """Close runs left RUNNING by dead processes, or running for too long."""
    from ..tracking import store
    from ..tracking.runs import close_abandoned_runs
    from ..workflows.steps import withdraw_unfinished

    config = config_of(args)
    store.configure()
    experiment_id = store.set_experiment(config.experiment)
    closed = close_abandoned_runs(experiment_id, older_than_hours=args.hours)
    print(f"Closed {len(closed)} run(s) as KILLED: {', '.join(closed) or 'none'}")
    withdrawn = withdraw_unfinished(config.registered_model, experiment_id)
    if config.registered_model:
        print(
            f"Withdrew {len(withdrawn)} version(s) of {config.registered_model!r} whose "
            f"training did not finish: {', '.join(withdrawn) or 'none'}"
        )
    return ExitStatus.OK
