# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser demo test lint types unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Chromium (Debian's package) for the browser tests; installed when we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium missing: browser tests are skipped (install Debian's chromium package)"; \
	  fi; }

demo: install
	$(BIN)/trialmatch demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: install
	$(BIN)/mypy

unit: install browser
	$(BIN)/python -m pytest -q

test: lint types unit

bench: install
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/nlp_speed.py
	$(BIN)/python bench/nlp_eval.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/anonymity.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/judged.py
	$(BIN)/python bench/review.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
