"""`corridors restore`: the group of restoration commands."""

from __future__ import annotations

from _helpers import invoke


def test_help_names_the_subcommands():
    result = invoke("restore", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Barrier Mapper" in text and "Linkage Priority" in text
