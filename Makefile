# opsbot: `make run` opens the chat on the sandbox, `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install bench clean constraints

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# constraints.txt pins every dependency to the versions the suite last passed with (`make constraints`).
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
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

# Regenerate the pins from the working virtualenv (after changing a dependency and passing `make test`).
constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude opsbot > constraints.txt

clean:
	rm -rf $(VENV)
