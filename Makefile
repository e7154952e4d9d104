# Two entry points; each creates .venv on first use and installs the project.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The CUDA extras (CuPy, nvmath-python: several hundred MB of wheels) only where CUDA is:
# nvidia-smi on the PATH or libcuda known to the loader. Ask for them anywhere with
# `make EXTRAS=test,cluster,gpu test`; `fea check` says what is installed and usable.
comma := ,
HAVE_CUDA ?= $(shell (command -v nvidia-smi || ldconfig -p 2>/dev/null | grep -m1 'libcuda\.so') >/dev/null 2>&1 && echo yes)
EXTRAS ?= test,cluster$(if $(HAVE_CUDA),$(comma)gpu)

.PHONY: run test test-mkl-alt lint bench clean extras

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

extras:
	@echo "$(EXTRAS)"

run: $(STAMP)
	$(VENV)/bin/fea run studies/baseline.toml

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The pinned studies once more on another MKL code path (AVX2 kernels, the conditional
# numerical reproducibility branch): a pin that depends on the machine fails everywhere.
MKL_ALT := MKL_ENABLE_INSTRUCTIONS=AVX2 MKL_CBWR=COMPATIBLE
test-mkl-alt: $(STAMP)
	$(MKL_ALT) $(PY) -m pytest $(PYTEST_ARGS) tests/study/test_studies.py

lint: $(STAMP)
	$(VENV)/bin/ruff check fea tests scripts

clean:
	rm -rf $(VENV) results meshes/cache
