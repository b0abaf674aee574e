# One command runs the monitor, one runs the tests; each builds its own virtual environment.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install bench versus score score-fast clean

$(BIN)/monitor: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m compileall -q monitor
	touch $(BIN)/monitor

install: $(BIN)/monitor

run: install
	$(BIN)/monitor --config sources.yaml --db db/monitor.db run --once

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/bench.py

versus: install
	$(BIN)/python bench/versus.py

score: install
	PATH=$(CURDIR)/$(BIN):$$PATH python3 ../shared/corpus/score.py
	PATH=$(CURDIR)/$(BIN):$$PATH python3 ../shared/corpus/score.py --corpus ../shared/seeds

score-fast: install
	$(BIN)/python -m tests.scoring
	$(BIN)/python -m tests.scoring --corpus ../shared/seeds

clean:
	rm -rf $(VENV) build *.egg-info
