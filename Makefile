# The two set-up commands: `make chat` and `make test`. Both create .venv when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test serve lint validate bench docs clean install line-dev

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

chat: $(STAMP)
	$(BIN)/soudan chat

# `make serve PORT=8090 HOST=0.0.0.0`: both optional (default SOUDAN_PORT / SOUDAN_HOST, else 127.0.0.1:8080)
serve: $(STAMP)
	$(BIN)/soudan serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# LINE without a LINE account: the fake Messaging API + viewer (http://127.0.0.1:8099/) and
# soudan serve wired to it; then `.venv/bin/soudan line send "いじめられてる" --user u1`. Ctrl-C stops both.
line-dev: $(STAMP)
	$(BIN)/soudan line dev

# the suite on every core (pytest-xdist; tests waiting on a subprocess overlap others);
# `$(BIN)/python -m pytest -q` alone runs it in one process, as before.
# Bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set (an empty value is "not
# set"): without them each xdist worker compiles bot/ and rewrites the asserts of every test module
# again, and each `soudan serve` a test starts compiles bot/ again (~10 s of CPU per worker here).
# Temporary files (every test's tmp_path, SQLite stores, the servers' folders) go to /dev/shm when it
# is a tmpfs with room (>= 1 GiB free; a container's 64 MiB one is not used): on a disk shared with
# other work, creating and then removing some 2,500 folders of a run cost up to ~10 s of waiting.
# TEST_TMPDIR=/somewhere picks another folder.
TEST_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 >= 1048576 {print "/dev/shm"}')

test: $(STAMP)
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR)) PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/soudan validate

docs: $(STAMP)
	$(BIN)/python -m bot.toolkit.graph --docs docs/flows.md
	$(BIN)/soudan schema --write schema/

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
