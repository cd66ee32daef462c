# dczoo: `make demo` installs dczoo with one Keras backend (JAX: the smallest
# install that runs it, README *Install*) and corrects the bundled example
# offline; `make test` installs every extra (all three backends, ONNX, the
# Space, the workflow and dev tools), runs ruff (`make lint`) and then the suite
# once per Keras backend. Both use .venv and create it first if it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS ?= jax tensorflow torch
PYTEST_ARGS ?=
# The one backend `make demo` installs and runs (benchmarks/bench_install.sh compares them).
DEMO_BACKEND ?= jax

.PHONY: setup demo-setup lint test demo space clean

$(VENV)/.installed: pyproject.toml .ci/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is a CPU wheel on the project's machines; a bare `torch` pulls CUDA.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -c .ci/constraints.txt -e ".[jax,tensorflow,torch,dev,space,onnx,workflow]"
	touch $@

setup: $(VENV)/.installed

# Only what the demo needs: dczoo and one backend (quick after `make setup`: all of it is there).
$(VENV)/.demo-installed-$(DEMO_BACKEND): pyproject.toml .ci/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c .ci/constraints.txt -e ".[$(DEMO_BACKEND)]"
	touch $@

demo-setup: $(VENV)/.demo-installed-$(DEMO_BACKEND)

# Rules and exclusions: [tool.ruff] in pyproject.toml.
lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	@failed=""; \
	for backend in $(BACKENDS); do \
		echo "=== KERAS_BACKEND=$$backend"; \
		start=$$(date +%s); \
		KERAS_BACKEND=$$backend $(PY) -m pytest tests $(PYTEST_ARGS) || failed="$$failed $$backend"; \
		echo "=== KERAS_BACKEND=$$backend took $$(( $$(date +%s) - start )) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED on:$$failed"; exit 1; fi; \
	echo "all backends passed: $(BACKENDS)"

demo: demo-setup
	KERAS_BACKEND=$(DEMO_BACKEND) $(PY) -m dczoo.demo
	@if [ -e $(VENV)/.installed ]; then what="every extra, installed by make setup or make test"; \
	else what="dczoo[$(DEMO_BACKEND)] only; make test adds the other backends, ONNX, Gradio, Snakemake and the dev tools"; fi; \
	echo "$(VENV) takes $$(du -sh $(VENV) | cut -f1) ($$what)"

# The Gradio app of space/ on http://127.0.0.1:7860 (--host/--port to change).
space: setup
	KERAS_BACKEND=tensorflow $(PY) space/app.py

clean:
	rm -rf $(VENV) build dist *.egg-info
