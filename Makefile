# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test venv migrate seed bench lint clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

venv: $(INSTALLED)

## Start the platform in the foreground: migrate, load the example programme into an empty database, serve.
run: venv
	$(BIN)/measures check-broker
	$(BIN)/measures db upgrade
	$(BIN)/measures seed examples/programme.yaml --if-empty
	$(BIN)/measures serve

## The whole test suite against the local RabbitMQ and PostgreSQL (and SQLite).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: venv
	$(BIN)/measures db upgrade

## Benchmarks that print figures (they create and drop their own databases).
bench: venv
	$(BIN)/python bench/status_changes.py
	$(BIN)/python bench/notifications_latency.py
	$(BIN)/python bench/report_generation.py

clean:
	rm -rf $(VENV) .pytest_cache
