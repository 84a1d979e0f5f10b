"""The lifecycle commands: promote, predict, serve, monitor, retrain.

Each command's arguments and what it does are side by side; the workflow a command calls is
imported when it runs, so that ``--help`` imports no heavy library.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..tracking.registry import CHAMPION_ALIAS
from .common import AddCommand, ExitStatus, add_config_items, add_trust_pickle, config_of, report

if TYPE_CHECKING:
    from ..workflows.promote import Decision

SERVE_HOST = "127.0.0.1"  # `serve` listens on this machine only, unless told otherwise
SERVE_PORT = 5001  # next to the MLflow UI's 5000, so both can run at once


def add_commands(add: AddCommand) -> None:
    """Add the lifecycle commands to the command line."""
    for define in (
        _define_promote,
        _define_predict,
        _define_serve,
        _define_monitor,
        _define_retrain,
    ):
        define(add)


def _define_promote(add: AddCommand) -> None:
    parser = add(
        "promote",
        "make the candidate the champion if it beats the champion on the same rows",
        "Score the challenger (the 'candidate', or --version) and the 'champion' on the "
        "config's held-out rows and move 'champion' to the challenger if it is better by the "
        "config's promotion.margin, and not worse on any of promotion.slices. Exit status 3 "
        "when the challenger lost, 6 when it is below a floor (promotion.minimum).",
    )
    add_config_items(parser)
    parser.add_argument("--version", help="the challenger's version (default: the candidate)")
    parser.add_argument(
        "--allow-other-rows",
        action="store_true",
        help="compare even if a model was trained with other held-out rows (recorded)",
    )
    parser.add_argument(
        "--force",
        metavar="REASON",
        help="promote whatever the comparison says, for this reason (recorded with your name)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="decide and record the decision, but move no alias (exit status as promote's)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.md",
        help="also write the decision and its evidence as Markdown, e.g. for a pull request",
    )
    add_trust_pickle(parser)
    parser.set_defaults(handler=promote)


def _define_predict(add: AddCommand) -> None:
    parser = add(
        "predict",
        "write the champion's predictions for a CSV or Parquet file",
        "Score a CSV or Parquet file in chunks with a registered model (default: the "
        "champion) and write the predictions, and scores, to a file; tracked as a run.",
    )
    parser.add_argument("input", type=Path, help="the CSV or Parquet file to score")
    add_config_items(parser)
    parser.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    parser.add_argument(
        "--output", type=Path, help="default: data/predictions/<input name>.predictions.<ext>"
    )
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="copy this input column to the output, e.g. an id (repeatable)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    add_trust_pickle(parser)
    parser.set_defaults(handler=predict)


def _define_serve(add: AddCommand) -> None:
    parser = add(
        "serve",
        "serve a REST API of the champion with MLflow's scoring server",
        "Serve a registered model (default: the champion, resolved once to a fixed version "
        "and verified) with MLflow's scoring server: GET /ping, POST /invocations.",
    )
    add_config_items(parser)
    parser.add_argument("--model-uri", help="default: models:/<registered_model>@champion")
    parser.add_argument(
        "--host", default=SERVE_HOST, help=f"default: {SERVE_HOST} (this machine only)"
    )
    parser.add_argument("--port", type=int, default=SERVE_PORT, help=f"default: {SERVE_PORT}")
    add_trust_pickle(parser)
    parser.set_defaults(handler=serve)


def _define_monitor(add: AddCommand) -> None:
    parser = add(
        "monitor",
        "check a new batch for drift and the champion's performance: retrain or not",
        "Compare a batch with the champion's training data (per-feature drift tests) and, "
        "if it has the target column, the champion's metrics with its baseline. Exit status "
        "4 when retraining is recommended.",
    )
    parser.add_argument("input", type=Path, help="the CSV or Parquet batch")
    add_config_items(parser)
    add_trust_pickle(parser)
    parser.set_defaults(handler=monitor)


def _define_retrain(add: AddCommand) -> None:
    parser = add(
        "retrain",
        "monitor a batch; retrain and promote if it calls for it (the nightly loop)",
        "Monitor a batch against the champion; if retraining is recommended (or --always), "
        "train on the config's current data and promote the new version if it beats the "
        "champion. Exit status 0: nothing to do; 7: retrained and promoted; 3: retrained, "
        "the champion kept; 6: retrained, below a floor.",
    )
    parser.add_argument("input", type=Path, help="the CSV or Parquet batch to monitor")
    add_config_items(parser)
    parser.add_argument(
        "--always", action="store_true", help="retrain even if monitoring finds nothing"
    )
    add_trust_pickle(parser)
    parser.set_defaults(handler=retrain)


def promote(args: argparse.Namespace) -> int:
    """Promote the candidate if it wins; exit 3 if it lost, 6 if it is below a floor."""
    from ..workflows.promote import promote

    decision = promote(
        config_of(args),
        version=args.version,
        allow_other_rows=args.allow_other_rows,
        force_reason=args.force,
        dry_run=args.dry_run,
    )
    if decision.run is not None:
        report(decision.run.run_id, decision.run.url, decision.run.tracking_uri)
    if args.report is not None:
        _write_report(args.report, decision)
    if decision.rows:
        print(f"  Scored on: {decision.rows}")
    if decision.evidence is not None and decision.evidence.power:
        print(f"  Power: {decision.evidence.power}")
    if decision.dry_run:
        outcome = decision.outcome.replace("_", " ")
        print(f"  Dry run, nothing moved: version {decision.challenger} would be {outcome}.")
        print(f"  Why: {decision.reason}")
        return _promote_status(decision)
    if decision.promoted:
        print(f"  Promoted: version {decision.challenger} is the '{CHAMPION_ALIAS}'.")
        print(f"  Why: {decision.reason}")
        return ExitStatus.OK
    kept = f"version {decision.champion} stays" if decision.champion else "no version is"
    print(f"  Not promoted: {kept} the '{CHAMPION_ALIAS}'.")
    print(f"  Why: {decision.reason}")
    return _promote_status(decision)


def _promote_status(decision: Decision) -> ExitStatus:
    if decision.promoted:
        return ExitStatus.OK
    return ExitStatus.BELOW_FLOOR if decision.below_floor else ExitStatus.NOT_PROMOTED


def _write_report(path: Path, decision: Decision) -> None:
    """Write the promotion report (Markdown) of a decision."""
    from ..reporting import render_promotion_report

    if decision.evidence is None:
        text = f"## Promotion\n\nVersion {decision.challenger} is already the champion.\n"
    else:
        text = render_promotion_report(decision.evidence)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"  Report: {path}")


def predict(args: argparse.Namespace) -> int:
    """Write a model's predictions for a file."""
    from ..workflows.predict import predict

    summary = predict(
        config_of(args),
        args.input,
        model_uri=args.model_uri,
        output=args.output,
        keep=args.keep,
        overwrite=args.overwrite,
    )
    report(summary.run.run_id, summary.run.url, summary.run.tracking_uri)
    print(f"  Predictions: {summary.output} ({summary.rows} rows, {summary.model_uri})")
    return ExitStatus.OK


def serve(args: argparse.Namespace) -> int:
    """Serve a REST API of one fixed, verified model version until stopped."""
    from ..workflows.serve import load_served, serve

    stored = load_served(config_of(args), args.model_uri)
    signed = f"signed by {stored.signer}" if stored.signer else "unsigned, trusted by you"
    print(
        f"Serving {stored.uri} ({signed})\n  on http://{args.host}:{args.port} "
        "(GET /ping, POST /invocations; Ctrl+C to stop)",
        flush=True,
    )
    serve(stored, args.host, args.port)
    return ExitStatus.OK


def monitor(args: argparse.Namespace) -> int:
    """Check a batch for drift and performance; exit 4 if retraining is recommended."""
    from ..workflows.monitor import monitor

    result = monitor(config_of(args), args.input)
    if result.run is not None:
        report(result.run.run_id, result.run.url, result.run.tracking_uri)
    drifted = result.drift.drifted
    print(f"  Drift: {len(drifted)} of {len(result.drift.features)} features")
    for feature in drifted:
        print(
            f"    {feature.feature:<28} {feature.test:<4} effect {feature.effect:.3f}"
            f"  adjusted p {feature.adjusted_p_value:.3g}"
        )
    for name, value in result.metrics.items():
        baseline = result.baseline.get(name)
        against = f" (baseline {baseline:.4f})" if baseline is not None else ""
        print(f"  {name:<12} {value:.4f}{against}")
    print(f"  Decision: {'retrain' if result.retrain else 'ok'}")
    for reason in result.reasons:
        print(f"    - {reason}")
    return ExitStatus.RETRAIN if result.retrain else ExitStatus.OK


def retrain(args: argparse.Namespace) -> int:
    """Run the loop once; the exit status says what it did (see the command's help)."""
    from ..workflows import retrain as retraining

    story = retraining.retrain(config_of(args), args.input, always=args.always)
    if story.run is not None:
        report(story.run.run_id, story.run.url, story.run.tracking_uri)
    for number, line in enumerate(story.lines, start=1):
        print(f"  {number}. {line}")
    status = {
        retraining.NOTHING_TO_DO: ExitStatus.OK,
        retraining.PROMOTED: ExitStatus.RETRAINED,
        retraining.KEPT: ExitStatus.NOT_PROMOTED,
        retraining.BELOW_FLOOR: ExitStatus.BELOW_FLOOR,
    }[story.outcome]
    print(f"  Outcome: {story.outcome.replace('_', ' ')} (exit status {int(status)})")
    return status
