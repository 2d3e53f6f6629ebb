# arkit: two commands on a fresh clone — `make demo` and `make test`. Both create .venv and install arkit.
# The first Python >= 3.11 on PATH, probed once (":=") and quietly: a pyenv shim for a version that is not
# installed prints "command not found" on stderr, so the probe's stderr is dropped. Override with PY=...
ifeq ($(origin PY),undefined)
PY := $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $$p && break; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "arkit needs Python 3.11 or newer on PATH" >&2; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name arkit --display-name "arkit (.venv)" >/dev/null
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/arkit demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_figures.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) reports/demo .pytest_cache
