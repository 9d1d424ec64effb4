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

# Both servers run in the background and the recipe's shell waits for gunicorn. Ctrl-C
# reaches every process in the terminal's group, gunicorn included, but a background job of a
# non-interactive shell ignores SIGINT: the trap stops the demo site by its PID (not `kill 0`,
# which signalled make and the shell too, whose trap then ran again until the shell crashed).
# A SIGTERM, which make passes to the shell alone, is passed on to both; on Ctrl-C gunicorn has
# its SIGINT (a quick shutdown) already. Stopped on request is a clean exit, even when the
# request came while gunicorn was still starting its workers.
run: seed
	@echo "Service:           http://127.0.0.1:$(PORT)/  (a widget: http://127.0.0.1:$(PORT)/widgets/hazara-quetta/petition)"
	@echo "Demo allied site:  http://localhost:$(DEMO_PORT)/  (Urdu: http://localhost:$(DEMO_PORT)/ur)"
	@echo "Donate widget:     http://localhost:$(DEMO_PORT)/donate  (Urdu: http://localhost:$(DEMO_PORT)/ur/donate)"
	@echo "Take action:       http://localhost:$(DEMO_PORT)/act  (Urdu: http://localhost:$(DEMO_PORT)/ur/act)"
	@echo "Mail:              written to instance/mail/*.eml by a mail worker (set WIDGET_SMTP_URL to send it)"
	@echo "Stop them all with Ctrl-C."
	@$(BIN)/python demo/allied_site.py --port $(DEMO_PORT) --service http://127.0.0.1:$(PORT) & demo=$$!; \
	WIDGET_SMTP_URL=$${WIDGET_SMTP_URL:-file:instance/mail} $(BIN)/flask mail work & demo="$$demo $$!"; \
	PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app & service=$$!; \
	trap 'stopped=1; kill -TERM $$demo 2>/dev/null' INT; \
	trap 'stopped=1; kill -TERM $$service $$demo 2>/dev/null' TERM; \
	status=; while [ -z "$$status" ] || kill -0 $$service 2>/dev/null; do wait $$service; status=$$?; done; \
	kill -TERM $$demo 2>/dev/null; wait; \
	if [ -n "$$stopped" ]; then echo "Stopped."; else exit $$status; fi

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance *.egg-info
