"""Atomic writes: a failure mid-write never replaces a good file with a broken one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kagglekit.files import (
    SaveError,
    atomic_path,
    load_array,
    read_json,
    save_array,
    write_csv,
    write_json,
    write_text,
)


class WriterCrashed(RuntimeError):
    pass


def test_atomic_path_moves_the_result_into_place(tmp_path: Path):
    final = tmp_path / "scores.json"
    with atomic_path(final) as tmp:
        assert tmp != final
        assert tmp.parent == final.parent
        assert not tmp.exists()
        tmp.write_text("new")
        assert not final.exists()
    assert final.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]


def test_temporary_name_keeps_the_final_suffixes(tmp_path: Path):
    with atomic_path(tmp_path / "model.weights.h5") as tmp:
        assert tmp.name.endswith(".weights.h5")
        tmp.write_bytes(b"x")


def test_a_crash_mid_write_leaves_the_old_file_intact(tmp_path: Path):
    final = tmp_path / "oof.npy"
    final.write_text("old content")
    with pytest.raises(WriterCrashed), atomic_path(final) as tmp:
        with open(tmp, "w") as fh:
            fh.write("half of the new con")
        raise WriterCrashed("killed")
    assert final.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oof.npy"]


def test_a_crash_before_any_file_exists_leaves_nothing(tmp_path: Path):
    final = tmp_path / "sub" / "submission.csv"
    with pytest.raises(WriterCrashed), atomic_path(final) as tmp:
        tmp.write_text("partial")
        raise WriterCrashed
    assert not final.exists()
    assert list(final.parent.iterdir()) == []


def test_a_writer_that_writes_nothing_is_an_error(tmp_path: Path):
    final = tmp_path / "history.csv"
    final.write_text("old")
    with pytest.raises(SaveError, match="produced no file") as info, atomic_path(final):
        pass
    assert str(final) in str(info.value)
    assert final.read_text() == "old"


def test_os_errors_of_the_writer_become_save_errors_naming_the_path(tmp_path: Path):
    final = tmp_path / "a.txt"
    with pytest.raises(SaveError) as info, atomic_path(final):
        raise PermissionError(13, "Permission denied")
    assert str(final) in str(info.value)
    assert "Permission denied" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_writing_to_a_directory_raises_save_error_naming_the_path(tmp_path: Path):
    target = tmp_path / "submission.csv"
    target.mkdir()
    with pytest.raises(SaveError) as info:
        write_text(target, "x")
    assert str(target) in str(info.value)
    assert "is a directory" in str(info.value)
    assert target.is_dir()


def test_parent_that_is_a_file_raises_save_error(tmp_path: Path):
    blocker = tmp_path / "run"
    blocker.write_text("not a folder")
    with pytest.raises(SaveError) as info:
        write_text(blocker / "scores.json", "{}")
    assert str(blocker / "scores.json") in str(info.value)


def test_save_error_is_an_os_error():
    assert issubclass(SaveError, OSError)


def test_write_text_creates_parents_and_replaces(tmp_path: Path):
    path = tmp_path / "a" / "b" / "note.txt"
    assert write_text(path, "one") == path
    write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["note.txt"]


def test_json_round_trip_with_numpy_values(tmp_path: Path):
    path = tmp_path / "scores.json"
    write_json(
        path,
        {"cv": np.float64(0.8125), "folds": np.array([1, 2]), "n": np.int64(3), "dir": tmp_path},
    )
    assert read_json(path) == {"cv": 0.8125, "folds": [1, 2], "n": 3, "dir": str(tmp_path)}


def test_json_refuses_unknown_objects_and_keeps_old_file(tmp_path: Path):
    path = tmp_path / "scores.json"
    write_json(path, {"ok": 1})
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        write_json(path, {"bad": object()})
    assert read_json(path) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]


def test_write_csv_without_index(tmp_path: Path):
    frame = pd.DataFrame({"id": [1, 2], "p": [0.25, 0.5]})
    path = write_csv(tmp_path / "oof.csv", frame)
    assert path.read_text().splitlines() == ["id,p", "1,0.25", "2,0.5"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_array_round_trip(tmp_path: Path, dtype: str):
    array = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    path = save_array(tmp_path / "test_pred.npy", array)
    loaded = load_array(path)
    assert loaded.dtype == array.dtype
    assert np.array_equal(loaded, array)


def test_save_array_refuses_object_arrays(tmp_path: Path):
    path = tmp_path / "labels.npy"
    with pytest.raises(TypeError, match="object array") as info:
        save_array(path, np.array(["a", 1, None], dtype=object))
    assert str(path) in str(info.value)
    assert not path.exists()


def test_load_array_never_unpickles(tmp_path: Path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        load_array(path)
