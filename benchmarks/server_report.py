"""The tracking server benchmark's report: throughput and latency, and what the store holds."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Any

from benchmarks.server_rounds import HTTP_STATUS, Round


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def print_results(rounds: list[Round], clients: int, per_client: int) -> None:
    """Print the table of medians, every round's values and the ratios B/A."""
    print()
    print(
        f"Runs logged through the server, {plural(per_client, 'run')} per client, "
        "medians over rounds"
    )
    header = (
        f"{'scenario':<13} {'clients':>7} {'runs':>5} {'wall s':>7} {'runs/s':>7} "
        f"{'p50 s':>7} {'p95 s':>7} {'start spread s':>15}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, dict[str, float]] = {}
    for scenario, count in (("A", 1), ("B", clients)):
        done = [one for one in rounds if one.scenario == scenario and one.ok_runs]
        label = f"{scenario}: {count} client{'s' if count > 1 else ''}"
        if not done:
            print(f"{label:<13} {count:>7} no successful run")
            continue
        values = {
            "runs": statistics.median(len(one.ok_runs) for one in done),
            "wall": statistics.median(one.wall for one in done),
            "throughput": statistics.median(one.throughput for one in done),
            "p50": statistics.median(one.latency(50) for one in done),
            "p95": statistics.median(one.latency(95) for one in done),
            "spread": statistics.median(one.start_spread for one in done),
        }
        medians[scenario] = values
        print(
            f"{label:<13} {count:>7} {values['runs']:>5.0f} {values['wall']:>7.2f} "
            f"{values['throughput']:>7.2f} {values['p50']:>7.3f} {values['p95']:>7.3f} "
            f"{values['spread']:>15.3f}"
        )
    for one in rounds:
        if one.ok_runs:
            print(
                f"    {one.scenario}{one.number}: {plural(len(one.ok_runs), 'run')}, "
                f"{one.wall:.2f} s, "
                f"{one.throughput:.2f} runs/s, p50 {one.latency(50):.3f} s, "
                f"p95 {one.latency(95):.3f} s, max {max(r['seconds'] for r in one.ok_runs):.3f} s"
            )
    if "A" in medians and "B" in medians:
        a, b = medians["A"], medians["B"]
        print(
            f"Ratio {clients} clients / 1 client: "
            f"throughput {b['throughput'] / a['throughput']:.2f}x, "
            f"p95 latency {b['p95'] / a['p95']:.2f}x, p50 latency {b['p50'] / a['p50']:.2f}x"
        )


def print_check(rounds: list[Round], store: dict[str, Any], per_client: int) -> int:
    """Compare what the clients logged with what the server holds; print lost and failed.

    A run counts as complete when it is FINISHED with every metric its client logged and
    both dataset inputs. Failed: a run on the server that is not complete, or a run whose
    client got an error before the server had it. Lost: expected runs that are neither.
    """
    print()
    lost = failed = expected_total = 0
    problems: Counter[str] = Counter()
    for one in rounds:
        expected = one.clients * per_client
        expected_total += expected
        on_server = {run["run_id"]: run for run in store[one.experiment]}
        metric_names = {name for report in one.reports for name in report["metrics"]}
        complete = set()
        for run_id, run in on_server.items():
            missing = metric_names - set(run["metrics"])
            if (
                run["status"] == "FINISHED"
                and run["metrics"]
                and not missing
                and run["inputs"] == 2
            ):
                complete.add(run_id)
            else:
                problems[
                    f"run {run['status']}, {len(missing)} metrics missing, {run['inputs']} inputs"
                ] += 1
        never_created = 0
        for run in one.runs:
            if "error" in run:
                problems[f"client error: {run['error']}"] += 1
                never_created += run.get("run_id") not in on_server
        reported = {run["run_id"] for run in one.runs if "run_id" in run}
        problems["complete run that no client reported"] += len(complete - reported)
        round_failed = len(on_server) - len(complete) + never_created
        failed += round_failed
        lost += max(0, expected - len(complete) - round_failed)
        for failure in one.client_failures:
            problems[f"client process failed: {failure}"] += 1
    problems = +problems  # drops the zero counts
    print(
        f"Store check as admin, every round ({expected_total} runs expected, warm-up included): "
        f"lost: {lost}, failed: {failed}"
    )
    for problem, count in problems.most_common():
        print(f"    {count} x {problem}")
    codes: Counter[str] = Counter()
    tracebacks = 0
    for one in rounds:
        for line in one.server_lines:
            found = HTTP_STATUS.search(line)
            if found:
                codes[found.group(1)] += 1
            tracebacks += line.startswith("Traceback")
    runs = sum(len(one.runs) for one in rounds)
    print(
        f"Server log over the rounds: {sum(codes.values())} requests "
        f"({sum(codes.values()) / max(runs, 1):.1f} per run, experiment opening included), "
        f"answered {dict(sorted(codes.items()))}; {tracebacks} tracebacks"
    )
    if tracebacks or any(code >= "500" for code in codes):
        print("    server-side errors (first 20 lines naming one):")
        lines = [
            line
            for one in rounds
            for line in one.server_lines
            if "Error" in line or "Exception" in line or re.search(r'" 5\d\d', line)
        ]
        for line in lines[:20]:
            print(f"      {line[:300]}")
    return 0 if lost == 0 and failed == 0 and not problems else 1
