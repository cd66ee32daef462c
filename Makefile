# dczoo: `make demo` corrects the bundled example offline; `make test` runs ruff
# (`make lint`) and then the suite once per Keras backend. Both create .venv
# first if it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS ?= jax tensorflow torch
PYTEST_ARGS ?=

.PHONY: setup lint test demo space clean

$(VENV)/.installed: pyproject.toml .ci/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is a CPU wheel on the project's machines; a bare `torch` pulls CUDA.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -c .ci/constraints.txt -e ".[jax,tensorflow,torch,dev,space,onnx]"
	touch $@

setup: $(VENV)/.installed

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

demo: setup
	KERAS_BACKEND=tensorflow $(PY) -m dczoo.demo

# The Gradio app of space/ on http://127.0.0.1:7860 (--host/--port to change).
space: setup
	KERAS_BACKEND=tensorflow $(PY) space/app.py

clean:
	rm -rf $(VENV) build dist *.egg-info
