# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_DIR := out/demo
DEMO_NOW := 2023-05-15T10:00:00+02:00
DEMO := DACAPO_DATA_DIR=$(DEMO_DIR) DACAPO_ACTOR=scolarite $(BIN)/dacapo -q --now $(DEMO_NOW)

demo: $(STAMP)
	$(BIN)/dacapo campaign validate campaign-2023-2024.yaml
	$(BIN)/dacapo campaign show campaign-2023-2024.yaml
	$(BIN)/dacapo --now $(DEMO_NOW) campaign try campaign-2023-2024.yaml examples/dossiers/*.yaml
	rm -rf $(DEMO_DIR)
	$(DEMO) family import tests/data/csv/malakoff-sample.csv --site malakoff
	$(DEMO) campaign load campaign-2023-2024.yaml
	$(DEMO) dossier answer malakoff-2023-2024-S0101 --continue yes --actor guardian:marie.dupont@example.fr
	$(DEMO) dossier advance malakoff-2023-2024-S0101 verify_identity --actor guardian:marie.dupont@example.fr
	@echo "--- Supplying documents before sending them is refused, with the reasons:"
	-$(DEMO) dossier advance malakoff-2023-2024-S0101 supply_documents --actor guardian:marie.dupont@example.fr
	$(DEMO) document add payment_form examples/documents/formulaire-paiement.pdf --dossier malakoff-2023-2024-S0101 --signed
	$(DEMO) document add quotient_card examples/documents/carte-quotient-familial.pdf --dossier malakoff-2023-2024-S0101 --valid-from 2023-01-01 --valid-until 2023-12-31
	$(DEMO) document add id_photo examples/documents/photo-zoe.jpg --dossier malakoff-2023-2024-S0101 --issued 2023-04-20
	$(DEMO) dossier advance malakoff-2023-2024-S0101 supply_documents --actor guardian:marie.dupont@example.fr
	$(DEMO) dossier advance malakoff-2023-2024-S0101 accept_rules --actor guardian:marie.dupont@example.fr
	$(DEMO) dossier check malakoff-2023-2024-S0102
	$(DEMO) dossier audit malakoff-2023-2024-S0101
	$(DEMO) campaign status malakoff-2023-2024
	$(DEMO) audit verify
	@echo "Demo database: $(DEMO_DIR)/dacapo.sqlite3"
	$(BIN)/dacapo simulate campaign-2023-2024.yaml --families 30 --seed 7 --out out/simulation

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n auto

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m bench.all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
