"""The command line: fast help, argument handling and clear errors."""

import subprocess
import sys

import pytest

from {{ cookiecutter.module_name }} import cli
from {{ cookiecutter.module_name }}.cli.common import config_and_overrides

HEAVY = ("mlflow", "sklearn", "pandas")


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from {{ cookiecutter.module_name }} import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([name for name in {HEAVY!r} if name in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().endswith("[]")
    assert "train" in result.stdout


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], (None, [])),
        (["regression"], ("regression", [])),
        (["model.params.C=0.5"], (None, ["model.params.C=0.5"])),
        (["regression", "split.seed=1"], ("regression", ["split.seed=1"])),
    ],
)
def test_config_comes_first_then_overrides(items, expected):
    assert config_and_overrides(items) == expected


def test_config_errors_exit_with_a_message(capsys):
    assert cli.main(["train", "no-such-config"]) == 2
    assert "No config file 'no-such-config'" in capsys.readouterr().err


def test_every_exit_status_is_explained_in_help_and_docs(capsys):
    from {{ cookiecutter.module_name }}.cli.common import MEANINGS, ExitStatus
    from {{ cookiecutter.module_name }}.paths import PROJECT_ROOT

    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    table = (PROJECT_ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert set(MEANINGS) == set(ExitStatus)
    for status, meaning in MEANINGS.items():
        assert f"{int(status):>3}  {meaning}" in shown
        assert f"\n| {int(status)} | " in table
