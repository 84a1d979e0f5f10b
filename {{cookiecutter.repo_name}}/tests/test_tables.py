"""Chunked tables: the same rows in chunks, and outputs that are complete or absent."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import tables


@pytest.fixture(params=[".csv", ".parquet"])
def table_file(request, tmp_path):
    frame = pd.DataFrame({"id": range(25), "value": [i / 3 for i in range(25)]})
    path = tmp_path / f"rows{request.param}"
    frame.to_parquet(path) if request.param == ".parquet" else frame.to_csv(path, index=False)
    return path, frame


def test_chunks_hold_every_row_once(table_file):
    path, frame = table_file
    chunks = list(tables.iter_chunks(path, 7))
    assert [len(chunk) for chunk in chunks] == [7, 7, 7, 4]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), frame)
    assert tables.digest_and_rows(path)[1] == 25
    assert tables.columns(path) == ["id", "value"]


def test_the_digest_follows_the_content(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("x\n1\n2\n")
    second.write_text("x\n1\n3\n")
    assert tables.file_digest(first) == (tables.file_digest(first)[0], 3)
    assert tables.file_digest(first)[0] != tables.file_digest(second)[0]


def test_an_interrupted_write_leaves_nothing(tmp_path):
    destination = tmp_path / "out.csv"

    def interrupted_write():
        with tables.atomic_writer(destination) as writer:
            writer.write(pd.DataFrame({"a": [1]}))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_write()
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_not_replaced_unless_asked(tmp_path):
    destination = tmp_path / "out.parquet"
    destination.write_bytes(b"mine")
    with pytest.raises(FileExistsError), tables.atomic_writer(destination):
        pass
    assert destination.read_bytes() == b"mine"
    with tables.atomic_writer(destination, overwrite=True) as writer:
        writer.write(pd.DataFrame({"a": [1, 2]}))
    assert pd.read_parquet(destination)["a"].tolist() == [1, 2]
