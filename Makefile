# The two commands: `make run` (demo service + allied-site page) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
DEMO_PORT ?= 5001
export FLASK_APP := wsgi
# `make run` is a local demo; a deployment runs in production mode (the default).
export WIDGET_ENV ?= development

.PHONY: run test install translations messages migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues are build output: never committed, never edited by hand.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d widget_service/translations

# Refresh the catalogues after changing user-facing strings, then translate the new entries.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o widget_service/translations/messages.pot .
	$(BIN)/pybabel update -i widget_service/translations/messages.pot -d widget_service/translations

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask campaigns seed-demo

run: seed
	@echo "Service:           http://127.0.0.1:$(PORT)/widgets/hazara-quetta/petition"
	@echo "Demo allied site:  http://localhost:$(DEMO_PORT)/  (Urdu: http://localhost:$(DEMO_PORT)/ur)"
	@echo "Donate widget:     http://localhost:$(DEMO_PORT)/donate  (Urdu: http://localhost:$(DEMO_PORT)/ur/donate)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python demo/allied_site.py --port $(DEMO_PORT) --service http://127.0.0.1:$(PORT) & \
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance *.egg-info
