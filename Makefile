# `make run` starts the product; `make test` runs the whole suite. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_DEBUG ?= true
export ECUAPASS_JOB_QUEUE ?= ecuapass

.PHONY: run test install install-dev migrate demo-data demo-certificate lint typecheck clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py setup_roles

DEMO_CEDULA ?= 1714307103
DEMO_RUC ?= 1790011674001

demo-data: migrate
	$(BIN)/python manage.py create_demo_staff
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py setup_demo_ca
	$(BIN)/python manage.py demo_certificate --cedula $(DEMO_CEDULA) --ruc $(DEMO_RUC) --out var/demo/certificado-demo.cer

# make demo-certificate CEDULA=... RUC=... writes var/demo/certificado-<cedula>.cer
demo-certificate: migrate
	$(BIN)/python manage.py demo_certificate --cedula $(CEDULA) --ruc $(RUC)

run: demo-data
	@echo ""
	@echo "ECUAPASS · Solicitud del uso: http://127.0.0.1:8000/  (Ctrl-C para detener)"
	@echo "Certificado de demostración para Doc. Identificación $(DEMO_CEDULA) y RUC empresa $(DEMO_RUC):"
	@echo "  var/demo/certificado-demo.cer, y su clave var/demo/certificado-demo-clave.pem para firmar el reto"
	@echo "  (otro: make demo-certificate CEDULA=... RUC=...)"
	@echo ""
	$(BIN)/honcho --procfile Procfile start

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy .

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
