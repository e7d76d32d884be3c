# The two commands a newcomer needs: `make build` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EVENTS ?= 1000000

.PHONY: build test bench analyses eval verify clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The package's own bytecode, compiled even where Python would not write it (PYTHONDONTWRITEBYTECODE
# set, as on the benchmark machine): each command then starts 0.1-0.15 s sooner. Files whose
# bytecode is up to date are skipped; a source edited later is compiled afresh in memory, as usual.
BYTECODE := $(PY) -m compileall -q dataset schemas

build: $(STAMP)
	@$(BYTECODE) >/dev/null
	$(PY) -m dataset build

test: $(STAMP)
	$(PY) -m pytest -q

# Drafting evaluation (tests/draft_eval): dev and held-out scores, then the total on the last line.
eval: $(STAMP)
	$(PY) -m dataset.draft.evaluate tests/draft_eval .

# Benchmark (not a test): synthetic raw sets of EVENTS events (coding sheets) against the pyarrow
# I/O floor; EVENTS="1000000 3000000" runs both sizes and says how build and floor grew;
# REPORTS=N also benchmarks N YAML reports (full build, then one edited report); ROUNDS=N runs N
# rounds, each measuring floor and build of every size in turn, and reports the medians (default 3).
bench: $(STAMP)
	@$(BYTECODE) >/dev/null
	$(PY) -m dataset.bench --events $(EVENTS) $(if $(REPORTS),--reports $(REPORTS),) $(if $(ROUNDS),--rounds $(ROUNDS),)

analyses: $(STAMP)
	$(PY) -m dataset analyze

verify: $(STAMP)
	$(PY) -m dataset verify releases/latest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find dataset schemas -name __pycache__ -type d -prune -exec rm -rf {} +
