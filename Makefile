# One command runs the monitor, one runs the tests; each builds its own virtual environment.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The compiled build: the extractor compiled with mypyc (setup.py), installed (not editable) in a virtual
# environment of its own, so that the checkout stays plain Python and every edit counts at once.
FAST ?= .venv-fast
FBIN := $(FAST)/bin

.PHONY: run test install fast bench versus score score-fast clean

$(BIN)/monitor: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m compileall -q monitor
	touch $(BIN)/monitor

install: $(BIN)/monitor

$(FAST)/.dependencies: pyproject.toml
	$(PY) -m venv $(FAST)
	$(FBIN)/pip install --quiet --upgrade pip
	$(FBIN)/pip install --quiet 'setuptools>=68' 'mypy>=1.11'
	$(FBIN)/pip install --quiet '.[bench]'  # the dependencies: mypy reads their types
	touch $@

# an installed copy, not a link to the checkout: built again whenever a source changed
$(FBIN)/monitor: $(FAST)/.dependencies setup.py $(wildcard monitor/*.py monitor/extract/*.py db/migrations/*.sql)
	MONITOR_COMPILE=1 $(FBIN)/pip install --quiet --no-build-isolation --no-deps --force-reinstall .
	touch $@

fast: $(FBIN)/monitor

run: install
	$(BIN)/monitor --config sources.yaml --db db/monitor.db run --once

test: install fast
	MONITOR_COMPILED_PYTHON=$(CURDIR)/$(FBIN)/python $(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/bench.py

versus: install fast
	$(BIN)/python bench/versus.py --monitor $(FBIN)/monitor

score: install
	PATH=$(CURDIR)/$(BIN):$$PATH python3 ../shared/corpus/score.py
	PATH=$(CURDIR)/$(BIN):$$PATH python3 ../shared/corpus/score.py --corpus ../shared/seeds

score-fast: install
	$(BIN)/python -m tests.scoring
	$(BIN)/python -m tests.scoring --corpus ../shared/seeds

clean:
	rm -rf $(VENV) $(FAST) build *.egg-info
