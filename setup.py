"""The package is described in pyproject.toml; this file only adds the optional compiled extractor.

With ``MONITOR_COMPILE=1`` the extractor's modules are compiled to C extension modules with mypyc
(pages read 1.3 to 1.6 times as fast, with the same results: ``tests/test_compiled.py`` holds the two
builds to the same output over the corpus, the seeds and the test pages). It needs a C compiler and
mypy in the build environment, so it is asked for, never assumed: ``make fast`` builds it (README,
"A faster build"). Without the variable, and for an editable install, the package is plain Python.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

# The modules a page's extraction runs through (with the worker's decoding, link discovery and cleaning,
# which the run's own process uses too), and nothing that does I/O: typed throughout, checked by mypy
# when they are compiled (mypyc refuses a module with a type error).
COMPILED = [
    "monitor/decode.py",
    "monitor/memo.py",
    "monitor/safe.py",
    "monitor/scholarly.py",
    "monitor/site.py",
    "monitor/extract/__init__.py",
    "monitor/extract/announce.py",
    "monitor/extract/cues.py",
    "monitor/extract/dom.py",
    "monitor/extract/html.py",
    "monitor/extract/structured.py",
    "monitor/extract/text.py",
]


EDITABLE = ("editable_wheel", "develop")  # the setuptools commands of an editable install


def ext_modules() -> list:
    if os.environ.get("MONITOR_COMPILE", "").lower() not in ("1", "yes", "true"):
        return []
    if any(command in sys.argv for command in EDITABLE):
        return []  # its compiled modules would be put beside their sources, and hide every edit of them
    try:
        from mypyc.build import mypycify
    except ImportError as exc:
        raise SystemExit("MONITOR_COMPILE=1 needs mypy in the build environment "
                         "(pip install mypy, then pip install --no-build-isolation .)") from exc
    return mypycify(COMPILED, opt_level="3")


setup(ext_modules=ext_modules())
