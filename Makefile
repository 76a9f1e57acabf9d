# Two commands for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint install run model redact-model i18n

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m bot.i18n compile >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m bot demo

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bot handlers storage emulator nlp

run: $(STAMP)
	$(PY) -m bot run

# Rebuild the shipped theme model (nlp/model/): NHS comments mapped plus services train (nlp/data/),
# and the word space "me too" learns from the same data (nlp/wordspace.npz).
model: $(STAMP)
	$(PY) -m pip install --quiet -e '.[model]'
	$(PY) -m nlp.build_model
	$(PY) -m nlp.wordspace

# Rebuild the shipped name and address detector (nlp/redact_model/) from generated data.
redact-model: $(STAMP)
	$(PY) -m pip install --quiet -e '.[model]'
	$(PY) -m nlp train-redactor

# Bring every language's catalogue (bot/locales/) up to the English source, then compile.
i18n: $(STAMP)
	$(PY) -m bot.i18n extract
	$(PY) -m bot.i18n compile
