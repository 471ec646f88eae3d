"""Durable replacement: the target ends up with the new content, or untouched if the writer
fails, and no temporary file is left behind either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from academy.files import durable_replace


class WriterFailed(Exception):
    pass


def write_then_fail(target: Path, content: str) -> None:
    with durable_replace(target) as temporary:
        temporary.write_text(content)
        raise WriterFailed


def test_the_target_is_replaced_with_what_the_block_wrote(tmp_path: Path) -> None:
    target = tmp_path / "part.parquet"
    target.write_text("old")
    with durable_replace(target, suffix=".parquet.tmp") as temporary:
        assert temporary.parent == tmp_path
        assert temporary.name.endswith(".parquet.tmp")
        temporary.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_a_missing_target_and_directory_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.txt"
    with durable_replace(target) as temporary:
        temporary.write_text("first")
    assert target.read_text() == "first"
    assert list(target.parent.iterdir()) == [target]


def test_a_failing_writer_leaves_the_old_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "part.parquet"
    target.write_text("old")
    with pytest.raises(WriterFailed):
        write_then_fail(target, "half of the new")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_failing_first_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "part.parquet"
    with pytest.raises(WriterFailed):
        write_then_fail(target, "")
    assert list(tmp_path.iterdir()) == []
