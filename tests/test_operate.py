"""Safe to operate: read-only commands never create a database, and can read a read-only one."""

from __future__ import annotations

import hashlib
import os
import stat

from click.testing import CliRunner

from monitor.cli import main

from .conftest import PAGES

READERS = (("diff",), ("feed",), ("notices",), ("sources",), ("diff", "--json"))


def cli(config, db, *args):
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def setup(tmp_path, page_server):
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n")
    return config


def test_read_commands_on_a_mistyped_db_create_nothing(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    typo = tmp_path / "dbb" / "monitr.db"
    for args in READERS:
        result = cli(config, typo, *args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{typo}: no such database" in result.stderr and "No changes" not in result.output
        assert not typo.parent.exists(), args


def test_read_commands_read_a_read_only_database(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    folder = tmp_path / "db"
    db = folder / "m.db"
    assert cli(config, db, "run", "--once").exit_code == 0
    page_server.set("/dana/", (PAGES / "v2.html").read_bytes())
    assert cli(config, db, "run", "--once").exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest(), sorted(os.listdir(folder))
    db.chmod(stat.S_IRUSR | stat.S_IRGRP)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        for args in READERS:
            result = cli(config, db, *args)
            assert result.exit_code == 0, (args, result.output)
        assert "new paper 'Mixture of Depths for Tiny Models'" in cli(config, db, "diff").output
        assert "Dana Example" in cli(config, db, "sources").output
    finally:
        folder.chmod(stat.S_IRWXU)
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), sorted(os.listdir(folder))) == before
