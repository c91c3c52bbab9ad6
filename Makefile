# NPS Kiosk — every target sets up what it needs on a fresh machine first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test bench lint hq soak clean doctor screenshots bundle messages

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "NPS Kiosk needs Python 3.11 or newer as '$(PYTHON)' (try: make run PYTHON=python3.12)."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV). On Debian/Ubuntu install venv support: sudo apt-get install -y python3-venv"; exit 1; }
	@$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

## make run: the kiosk in a normal window on the embedded database (platformdirs data folder).
run: $(VENV)/.run-installed
	@$(BIN)/nps-kiosk doctor
	$(BIN)/nps-kiosk --windowed $(ARGS)

doctor: $(VENV)/.run-installed
	@$(BIN)/nps-kiosk doctor

## make test: every test, Qt offscreen, real SQLite files (and PostgreSQL when one is there).
test: $(VENV)/.dev-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(ARGS)

## make bench: the benchmark table (bench/results.json too).
bench: $(VENV)/.dev-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench.run $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make hq: the HQ collector on 127.0.0.1:8080 with its embedded SQLite database.
hq: $(VENV)/.dev-installed
	$(BIN)/nps-hq serve $(ARGS)

soak: $(VENV)/.dev-installed
	NPS_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m soak $(ARGS)

## make screenshots: every docs/*.png (the admin tabs on a 1M-response seeded copy).
screenshots: $(VENV)/.dev-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tools.screenshots --out docs

## make messages: extract the customer's texts into core/locale/kiosk.pot (HQ's into hq.pot, the admin
## view's into admin.pot, the command lines' into cli.pot, the service code's errors into errors.pot),
## merge them into every language's .po (new texts come in empty or fuzzy: translate them),
## compile the .mo files.
messages: $(VENV)/.dev-installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-comments=TRANSLATORS: --sort-by-file \
	  --project="NPS Kiosk" --copyright-holder="NPS Kiosk" -w 100 -o core/locale/kiosk.pot .
	$(BIN)/pybabel update -i core/locale/kiosk.pot -d core/locale -D kiosk -w 100
	$(BIN)/pybabel compile -d core/locale -D kiosk --statistics
	$(BIN)/pybabel extract -F babel-hq.cfg -k N_ --add-comments=TRANSLATORS: --sort-by-file \
	  --project="NPS Kiosk" --copyright-holder="NPS Kiosk" -w 100 -o core/locale/hq.pot .
	$(BIN)/pybabel update -i core/locale/hq.pot -d core/locale -D hq -w 100
	$(BIN)/pybabel compile -d core/locale -D hq --statistics
	$(BIN)/pybabel extract -F babel-admin.cfg -k N_ --add-comments=TRANSLATORS: --sort-by-file \
	  --project="NPS Kiosk" --copyright-holder="NPS Kiosk" -w 100 -o core/locale/admin.pot .
	$(BIN)/pybabel update -i core/locale/admin.pot -d core/locale -D admin -w 100
	$(BIN)/pybabel compile -d core/locale -D admin --statistics
	$(BIN)/pybabel extract -F babel-cli.cfg -k N_ --add-comments=TRANSLATORS: --sort-by-file \
	  --project="NPS Kiosk" --copyright-holder="NPS Kiosk" -w 100 -o core/locale/cli.pot .
	$(BIN)/pybabel update -i core/locale/cli.pot -d core/locale -D cli -w 100
	$(BIN)/pybabel compile -d core/locale -D cli --statistics
	$(BIN)/pybabel extract -F babel-errors.cfg --no-default-keywords -k Said \
	  --add-comments=TRANSLATORS: --sort-by-file \
	  --project="NPS Kiosk" --copyright-holder="NPS Kiosk" -w 100 -o core/locale/errors.pot .
	$(BIN)/pybabel update -i core/locale/errors.pot -d core/locale -D errors -w 100
	$(BIN)/pybabel compile -d core/locale -D errors --statistics

## make bundle: the one-folder kiosk bundle in dist/nps-kiosk/ (copy the folder to a till).
bundle: $(VENV)/.dev-installed
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec
	QT_QPA_PLATFORM=offscreen dist/nps-kiosk/nps-kiosk --smoke --db "$$(mktemp -d)/smoke.db"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache bench/.work
