"""The hash split: each row's side comes from its own key, so rows stay put as data grows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DummyDataset, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.config import (
    ConfigError,
    SplitSpec,
    parse_logged_config,
)
from {{ cookiecutter.module_name }}.datasets import (
    Dataset,
    row_fingerprints,
    split_dataset,
)
from {{ cookiecutter.module_name }}.datasets.split import dataset_fingerprints


class FrameDataset(Dataset):
    """A dataset of a given table; the target is the column ``label``."""

    name = "frame"

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def load(self) -> tuple[pd.DataFrame, pd.Series]:
        return self.frame.drop(columns="label"), self.frame["label"]


def table(rows: int, seed: int = 0, classes: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(rows) + 1000 * seed,
            "x": rng.normal(size=rows),
            "colour": rng.choice(["red", "green"], size=rows),
            "label": rng.integers(0, classes, size=rows),
        }
    )


def held_out_ids(frame: pd.DataFrame, seed: int = 42, **options) -> set[int]:
    split = split_dataset(FrameDataset(frame), 0.25, seed, method="hash", **options)
    return set(split.test_features["id"])


rows_and_growth = st.tuples(st.integers(20, 300), st.integers(1, 300), st.integers(0, 10**6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_and_growth)
def test_appending_and_reordering_rows_never_moves_a_row_across(sizes):
    rows, added, seed = sizes
    old = table(rows, seed=1)
    grown = pd.concat([old, table(added, seed=2)], ignore_index=True)
    shuffled = grown.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)

    before = held_out_ids(old, seed)
    after = held_out_ids(grown, seed)
    assert before == after & set(old["id"])  # old rows: the same sides
    assert held_out_ids(shuffled, seed) == after  # the order of the rows does not matter


def test_identical_rows_land_on_the_same_side():
    rows = table(200).drop(columns="id")
    doubled = pd.concat([rows, rows.iloc[:50]], ignore_index=True)
    split = split_dataset(FrameDataset(doubled), 0.25, 3, method="hash")

    held = set(map(tuple, split.test_features.itertuples(index=False)))
    trained = set(map(tuple, split.train_features.itertuples(index=False)))
    assert not held & trained  # no duplicate is on both sides
    assert len(split.test_rows) + len(split.train_rows) == len(doubled)


def test_the_same_seed_and_data_give_the_same_sides_and_another_seed_others():
    frame = table(400)
    assert held_out_ids(frame, seed=5) == held_out_ids(frame.copy(), seed=5)
    assert held_out_ids(frame, seed=5) != held_out_ids(frame, seed=6)


@pytest.mark.parametrize("seed", range(10))
def test_each_class_is_held_out_at_test_size_within_four_standard_errors(seed):
    frame = table(3000, seed=seed, classes=3)
    split = split_dataset(FrameDataset(frame), 0.2, seed, method="hash")
    for label, count in frame["label"].value_counts().items():
        share = (split.test_target == label).sum() / count
        assert abs(share - 0.2) <= 4 * np.sqrt(0.2 * 0.8 / count), (label, share)


def test_a_key_decides_alone_and_numbers_are_keyed_by_value():
    frame = table(300)
    changed = frame.assign(x=frame["x"] * 10, colour="blue")  # every non-key value changes
    assert held_out_ids(frame, key=["id"]) == held_out_ids(changed, key=["id"])
    as_floats = frame.assign(id=frame["id"].astype(float))  # a missing value made it float
    assert held_out_ids(frame, key=["id"]) == held_out_ids(as_floats, key=["id"])
    columns = frame[["colour", "x"]]
    assert (row_fingerprints(columns) == row_fingerprints(columns[["x", "colour"]])).all()


def test_a_key_column_outside_the_features_is_found_and_a_missing_one_named(tmp_path):
    from {{ cookiecutter.module_name }}.datasets import TabularFileDataset

    path = tmp_path / "rows.csv"
    table(100).to_csv(path, index=False)
    dataset = TabularFileDataset(str(path), target="label", features=["x", "colour"])
    assert len(dataset_fingerprints(dataset, ["id"])) == 100
    assert "id" not in dataset.features.columns
    with pytest.raises(ConfigError, match=r"split.key names column\(s\) \['customer'\]"):
        dataset_fingerprints(dataset, ["customer"])


def test_the_random_method_is_the_seeded_shuffle_of_before():
    from sklearn.model_selection import train_test_split

    dataset = DummyDataset(rows=80)
    split = split_dataset(dataset, 0.25, 7, method="random", stratify=True)
    expected = train_test_split(
        dataset.features, dataset.target, test_size=0.25, random_state=7, stratify=dataset.target
    )
    pd.testing.assert_frame_equal(split.test_features, expected[1])
    pd.testing.assert_series_equal(split.train_target, expected[2])


def test_configs_logged_before_the_hash_split_read_back_as_random():
    logged = make_config().to_dict()
    del logged["split"]["method"]
    import yaml

    assert parse_logged_config(yaml.safe_dump(logged)).split.method == "random"
    assert make_config().split.method == "hash"  # the default of new configs


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stratify": True}, "split.stratify applies to split.method random"),
        ({"test_size": 30}, "must be a fraction with split.method hash"),
        ({"method": "shuffle"}, "split.method must be one of hash, random"),
        ({"key": []}, "split.key must be a list of names"),
    ],
)
def test_what_the_hash_split_cannot_do_is_refused_with_what_to_do(options, message):
    from {{ cookiecutter.module_name }}.config.checks import parse_section

    with pytest.raises(ConfigError, match=message):
        parse_section(SplitSpec, "split", options)


def test_a_split_that_leaves_a_side_empty_says_so():
    with pytest.raises(ValueError, match="leaves no held-out rows: add rows"):
        split_dataset(FrameDataset(table(2)), 0.01, 0, method="hash")
