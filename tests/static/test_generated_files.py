"""Static checks of every named combination: files, rendering, syntax, lint, consistency.

Fast (no environment is created): one bake per combination, shared by its checks.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from itertools import combinations as pairs_of

import pytest
import yaml

from testkit.baking import TEMPLATE_DIR, BakedProject, bake
from testkit.combinations import COMBINATIONS, DECLARED, OPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TEMPLATE_ROOT = TEMPLATE_DIR / "{{cookiecutter.repo_name}}"
PACKAGE_FOLDER = "{{cookiecutter.module_name}}"
# Files and folders that only some answers keep: the post-gen hook prunes by this list.
FILES_BY_ANSWER: dict[str, dict[str, list[str]]] = DECLARED["_files_by_answer"]
# Written by the post-generation hook, not by the template.
HOOK_FILES = {".cruft.json"}
GITHUB_EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")


def template_files(module_name: str) -> set[str]:
    """Every file of the template's project folder, named as a bake names it."""
    return {
        path.relative_to(TEMPLATE_ROOT).as_posix().replace(PACKAGE_FOLDER, module_name)
        for path in TEMPLATE_ROOT.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def answer_key(answer: object) -> str:
    return str(answer).lower() if isinstance(answer, bool) else str(answer)


def expected_files(answers: dict[str, object]) -> set[str]:
    """The template's files, minus those of the answers not chosen, plus the hook's."""
    files = template_files(str(answers["module_name"])) | HOOK_FILES
    for question, by_answer in FILES_BY_ANSWER.items():
        kept = set(by_answer.get(answer_key(answers[question]), []))
        for name in {name for names in by_answer.values() for name in names} - kept:
            files = {f for f in files if f != name and not f.startswith(f"{name}/")}
    return files


@pytest.fixture(scope="module", params=sorted(COMBINATIONS))
def project(request, tmp_path_factory) -> BakedProject:
    return bake(tmp_path_factory.mktemp(request.param), **COMBINATIONS[request.param])


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement or conda spec."""
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_combinations_are_pairwise():
    for (first, first_values), (second, second_values) in pairs_of(OPTIONS.items(), 2):
        met = {(combo[first], combo[second]) for combo in COMBINATIONS.values()}
        missing = {(a, b) for a in first_values for b in second_values} - met
        assert not missing, f"{first} x {second} never meet for {sorted(missing)}"


def test_exact_set_of_files(project):
    assert project.files() == expected_files(project.answers)


def test_no_unrendered_jinja(project):
    for relative in project.files():
        text = (project.path / relative).read_text(encoding="utf-8")
        text = GITHUB_EXPRESSION.sub("", text)  # ${{ ... }} belongs to GitHub Actions
        for marker in ("{{", "{%", "{#", "cookiecutter."):
            assert marker not in text, f"{marker!r} left in {relative}"


def test_every_structured_file_parses(project):
    project.parse_every_file()


def test_ruff_lint_and_format_pass(project):
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "."],
            cwd=project.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_package_is_documented_and_fully_typed(project):
    """The generated ruff rules make docstrings and annotations optional for the user's
    code; the package the template ships still has them all (the command its
    pyproject.toml comment gives)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--extend-select=D1,ANN0,ANN2",
            "src",
        ],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def pyproject(project: BakedProject) -> dict:
    return tomllib.loads(project.read("pyproject.toml"))


def test_pyproject_metadata_follows_the_answers(project):
    meta = pyproject(project)["project"]
    assert meta["name"] == project.answers["repo_name"]
    assert meta["description"] == project.answers["description"]
    assert meta["authors"][0]["name"] == project.answers["author_name"]
    version = str(project.answers["python_version"])
    assert meta["requires-python"] == f">={version}"
    license_ = project.answers["open_source_license"]
    assert meta.get("license") == (None if license_ == "none" else license_)


def test_requires_python_accepts_the_chosen_and_newer_pythons(project):
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(pyproject(project)["project"]["requires-python"])
    chosen = str(project.answers["python_version"])
    newer = [v for v in OPTIONS["python_version"] if float(v[2:]) >= float(chosen[2:])]
    assert all(f"{v}.0" in spec for v in newer)
    assert project.read(".python-version").strip() == chosen


def test_environment_files_list_the_same_packages_as_pyproject(project):
    data = pyproject(project)
    runtime = {requirement_name(r) for r in data["project"]["dependencies"]}
    dev = {requirement_name(r) for r in data["dependency-groups"]["dev"]}
    assert {"mlflow", "scikit-learn", "pytest", "ruff", "nbstripout"} <= runtime | dev
    manager = project.answers["environment_manager"]
    if manager == "venv":

        def listed(name: str) -> dict[str, str]:
            lines = project.read(name).splitlines()
            return {
                requirement_name(line): line.strip()
                for line in lines
                if line.strip() and not line.startswith(("#", "-"))
            }

        assert set(listed("requirements.txt")) == runtime
        assert set(listed("requirements-dev.txt")) == dev
        assert set(listed("requirements.txt").values()) == set(data["project"]["dependencies"])
        assert "-r requirements.txt" in project.read("requirements-dev.txt")
        assert "-e ." in project.read("requirements-dev.txt")
    elif manager == "conda":
        env = yaml.safe_load(project.read("environment.yml"))
        assert env["channels"] == ["conda-forge", "nodefaults"]
        conda = [d for d in env["dependencies"] if isinstance(d, str)]
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
        assert f"python={project.answers['python_version']}" in conda
        assert {requirement_name(d) for d in conda} - {"python", "pip"} == runtime
        assert "--editable ." in pip
        assert {requirement_name(d) for d in pip if not d.startswith("-")} == dev
    elif manager == "poetry":
        assert pyproject(project)["build-system"]["build-backend"] == "poetry.core.masonry.api"
        assert "tool" in data
        assert "source" not in data["tool"].get("poetry", {}), "test-only Poetry source shipped"


def test_license_matches_the_choice(project):
    choice = project.answers["open_source_license"]
    first_line = {"MIT": "MIT License", "BSD-3-Clause": "BSD 3-Clause License"}
    if choice == "none":
        assert not project.has_file("LICENSE")
    elif choice == "Apache-2.0":
        assert "Apache License" in project.read("LICENSE").splitlines()[0]
    else:
        assert project.read("LICENSE").splitlines()[0] == first_line[choice]
        assert str(project.answers["author_name"]) in project.read("LICENSE")


def test_ci_workflow_runs_the_projects_own_targets(project):
    if not project.answers["include_ci"]:
        assert not project.has_file(".github/workflows/ci.yml")
        return
    workflow = yaml.safe_load(project.read(".github/workflows/ci.yml"))
    steps = workflow["jobs"]["check"]["steps"]
    commands = " ".join(step.get("run", "") for step in steps)
    for target in ("make lint", "make hooks", "make test"):
        assert target in commands
    assert "${{ github.workflow }}" in workflow["concurrency"]["group"]


def test_initial_commit_holds_every_file(project):
    assert project.run("git", "status", "--porcelain").stdout == ""
    committed = set(project.run("git", "ls-files").stdout.split())
    assert committed == project.files()


def test_gitignore_keeps_the_skeleton_and_hides_data_models_and_secrets(project):
    kept = [".env.example", "data/raw/.gitkeep", "data/processed/.gitkeep", "models/.gitkeep"]
    hidden = [
        ".env",
        "data/raw/customers.csv",
        "data/processed/nested/part-0.parquet",
        "models/model.pkl",
        "mlflow.db",
        "mlruns/0/meta.yaml",
        "mlartifacts/1/model.skops",
        "mlartifacts-server/1/model.skops",
        "data/predictions/new.predictions.csv",
        "notebooks/.ipynb_checkpoints/x.ipynb",
        ".venv/bin/python",
        "src/pkg/__pycache__/m.cpython-311.pyc",
    ]

    def ignored(path: str) -> bool:
        check = project.run("git", "check-ignore", "--no-index", "-q", path, check=False)
        assert check.returncode in (0, 1), check.stderr
        return check.returncode == 0

    for path in kept:
        assert not ignored(path), path
    for path in hidden:
        assert ignored(path), path


def test_makefile_help_is_the_default_and_lists_the_targets(project):
    if not shutil.which("make"):
        pytest.skip("GNU make is not installed")
    output = subprocess.run(
        ["make"], cwd=project.path, capture_output=True, text=True, check=True
    ).stdout
    # Every phony target (the Makefile's list of commands) documents itself in `make help`.
    phony = re.search(r"^\.PHONY:(.*)$", project.read("Makefile"), re.MULTILINE)
    assert phony, "the Makefile declares no .PHONY targets"
    targets = phony.group(1).split()
    assert {"install", "test", "train", "promote", "predict", "serve", "monitor"} <= set(targets)
    for target in targets:
        assert re.search(rf"^\s+{target}\s+\S", output, re.MULTILINE), target


def test_answers_regenerate_the_same_project(project, tmp_path):
    """The recorded answers are enough to bake the project again, file for file."""
    answers = json.loads(project.read(".cruft.json"))["context"]["cookiecutter"]
    replayed = bake(tmp_path, **{k: v for k, v in answers.items() if not k.startswith("_")})
    assert replayed.files() == project.files()
    for relative in project.files() - {".cruft.json"}:
        assert replayed.read(relative) == project.read(relative), relative


def test_combinations_use_only_declared_values():
    for name, combination in COMBINATIONS.items():
        for option, values in OPTIONS.items():
            assert combination[option] in values, f"{name}: {option}={combination[option]!r}"


def test_every_answer_declares_the_files_it_keeps():
    """Each question listed in _files_by_answer lists every one of its answers."""
    for question, by_answer in FILES_BY_ANSWER.items():
        assert set(by_answer) == {answer_key(value) for value in OPTIONS[question]}, question


def test_the_file_set_check_can_fail(tmp_path):
    """A stray file, or a missing one, makes the exact-set comparison differ."""
    answers = {**COMBINATIONS["default-uv-mit"], "module_name": "my_ml_project"}
    expected = expected_files(answers)
    assert "LICENSE" in expected
    assert "requirements.txt" not in expected
    assert "src/my_ml_project/tracking/model_store.py" in expected
    assert expected_files({**answers, "open_source_license": "none"}) == expected - {"LICENSE"}
