# Everything runs from a .venv in the repo root, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of PyTorch, for the sentence-transformers backend. On this project's machines
# pip finds this exact version on local disk; elsewhere use e.g.
#   make install TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH  ?= torch==2.13.0
# Tests never reach a model hub and never send telemetry.
TEST_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False

.PHONY: install demo test lint bench quality weights kinds tables soak audit clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[st,openai,bench,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reportqa index
	$(BIN)/reportqa stats
	$(BIN)/reportqa ask "How many skilled mass mobilization models were replicated?"

lint: $(STAMP)
	$(BIN)/ruff check indexing bot tests benchmarks
	$(BIN)/ruff format --check indexing bot tests benchmarks

test: $(STAMP) lint
	$(TEST_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider

soak: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider -m soak

audit: $(STAMP)
	$(BIN)/pip-audit -s pypi --progress-spinner off

# Answer quality on the public QA sets in ../shared/eval/external (README, "Answer quality").
quality: $(STAMP)
	$(TEST_ENV) $(BIN)/python benchmarks/qa_sets.py

# Refit bot/data/answerer.json from ../shared (reproduces the shipped weights) + ablation.
weights: $(STAMP)
	$(TEST_ENV) $(BIN)/python benchmarks/train_answerer.py --ablation \
		--report benchmarks/results/train_answerer.json

# The question-kind reading: refit bot/data/kinds.json, confusion on held-out families.
kinds: $(STAMP)
	$(TEST_ENV) $(BIN)/python benchmarks/train_kinds.py

# Tables across reports: refit bot/data/rows.json (cross-validated ablation), then score
# the parallel-reports benchmark end to end (README, "Tables across reports").
tables: $(STAMP)
	$(TEST_ENV) $(BIN)/python benchmarks/train_rows.py
	$(TEST_ENV) $(BIN)/python benchmarks/parallel_reports.py

bench: $(STAMP)
	$(TEST_ENV) $(BIN)/python benchmarks/qa_sets.py
	$(TEST_ENV) $(BIN)/python benchmarks/parallel_reports.py
	$(TEST_ENV) $(BIN)/python benchmarks/index_speed.py
	$(TEST_ENV) $(BIN)/python benchmarks/answer_latency.py
	$(TEST_ENV) $(BIN)/python benchmarks/cold_start.py
	$(TEST_ENV) $(BIN)/python benchmarks/bot_load.py
	$(TEST_ENV) $(BIN)/python benchmarks/scaling.py

clean:
	rm -rf $(VENV) .reportqa benchmarks/.work
