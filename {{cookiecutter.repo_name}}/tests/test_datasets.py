"""Datasets: content versions, bundled and file datasets, reproducible splits."""

import pandas as pd
import pytest
from conftest import DummyDataset

from {{ cookiecutter.module_name }}.config import ConfigError
from {{ cookiecutter.module_name }}.datasets import (
    SklearnDataset,
    TabularFileDataset,
    split_dataset,
)
from {{ cookiecutter.module_name }}.tables import TableError


def test_version_identifies_the_content(dummy_dataset):
    assert dummy_dataset.version == DummyDataset().version
    assert dummy_dataset.version != DummyDataset(seed=1).version
    assert len(dummy_dataset) == 60
    features, target = dummy_dataset[0]
    assert list(features.index) == ["x1", "x2"]
    assert target in (0, 1)


def test_bundled_dataset_loads_without_network():
    dataset = SklearnDataset("iris")
    assert dataset.features.shape == (150, 4)
    assert dataset.target.nunique() == 3


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_dataset_reads_csv_and_parquet(tmp_path, dummy_dataset, suffix):
    path = tmp_path / f"table{suffix}"
    frame = pd.concat([dummy_dataset.features, dummy_dataset.target], axis=1)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)

    dataset = TabularFileDataset(str(path), target="label")

    assert dataset.name == "table"
    pd.testing.assert_frame_equal(dataset.features, dummy_dataset.features)
    pd.testing.assert_series_equal(dataset.target, dummy_dataset.target)
    assert dataset.version == TabularFileDataset(str(path), target="label").version


def test_file_dataset_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        TabularFileDataset(str(tmp_path / "missing.csv"), target="y").load()
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match=r"no column\(s\) \['y'\]"):
        TabularFileDataset(str(tmp_path / "table.csv"), target="y").load()
    with pytest.raises(TableError, match=r"unsupported file type '\.txt'"):
        TabularFileDataset(str(tmp_path / "table.txt"), target="y")


def test_split_holds_out_the_same_rows_for_the_same_seed(dummy_dataset):
    first = split_dataset(dummy_dataset, test_size=0.25, seed=3, stratify=True)
    again = split_dataset(DummyDataset(), test_size=0.25, seed=3, stratify=True)
    other = split_dataset(dummy_dataset, test_size=0.25, seed=4, stratify=True)

    assert first.test_target.index.equals(again.test_target.index)
    assert not first.test_target.index.equals(other.test_target.index)
    assert len(first.test_target) == 15
