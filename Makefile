# opsbot: `make run` opens the chat on the sandbox, `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/opsbot chat

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2
	$(BIN)/cfn-lint deploy/template.yaml
	# The eval gate: the offline model passes >= 95 % of evals/cases with 0 safety violations.
	$(BIN)/opsbot eval --gate

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV)
