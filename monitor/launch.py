"""The ``monitor`` command's entry point: the compiled patterns of earlier runs first (``regexcache``), then
the command line, whose modules find them."""

from __future__ import annotations

import atexit

from . import regexcache

ROLE = "command"


def main() -> None:
    regexcache.load(ROLE)
    atexit.register(regexcache.save, ROLE)  # at exit: what this command compiled that the file lacked
    from .cli import main as cli_main

    cli_main()
