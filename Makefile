# Vitrina's developer commands. `make help` lists them.

GO ?= go
BIN := bin/vitrina

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Tests: packages run in parallel processes (-p, default: one per CPU) against the shared
# PostgreSQL and Redis. -timeout is per package binary: a hung package fails with every
# goroutine's stack after 5 minutes, which keeps a run with a hang under CI's 10 minutes on a
# 2-core machine (a healthy run takes well under a minute per package).
TEST_FLAGS ?= -timeout 5m
# Fuzzing: how long each Fuzz target runs in `make fuzz`.
FUZZTIME ?= 15s
# `make migrate CMD=status` (or down).
CMD ?= up

TEST_DATABASE_URL ?= $(or $(VITRINA_TEST_DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)

.PHONY: help build test vet fmt check-fmt migrate run demo fuzz clean clean-testdb services

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

build: ## build bin/vitrina with the version stamped in
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vitrina

test: ## run every test (needs PostgreSQL and Redis: `.ci/run services` starts them)
	$(GO) test -race -count=1 $(TEST_FLAGS) ./...

vet: ## go vet every package
	$(GO) vet ./...

fmt: ## format every Go file
	gofmt -w $$(find . -name '*.go' -not -path './.git/*')

check-fmt: ## fail when a Go file is not gofmt-formatted
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$files" ]; then echo "not gofmt-formatted (run make fmt):"; echo "$$files"; exit 1; fi

migrate: build ## apply the migrations to VITRINA_DATABASE_URL (CMD=status|down for the others)
	./$(BIN) migrate $(CMD)

run: build ## run the bot, HTTP server and worker in one process (needs VITRINA_TELEGRAM_TOKEN)
	./$(BIN) migrate up
	./$(BIN) serve --with-worker

demo: run ## for now the same as run; the demo sandbox replaces it

# Each Fuzz target runs alone for FUZZTIME: go test -fuzz takes one target of one package.
fuzz: ## run every Fuzz target for FUZZTIME (default 15s) each
	@set -e; \
	pkgs=$$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u); \
	if [ -z "$$pkgs" ]; then echo "no Fuzz targets"; exit 0; fi; \
	for pkg in $$pkgs; do \
		list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
		for target in $$(echo "$$list" | grep '^Fuzz'); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

services: ## make sure PostgreSQL and Redis run locally (see .ci/run)
	.ci/run services

clean: ## remove build and test outputs
	rm -rf bin/ coverage.out coverage.html *.test *.prof

# Drops the template and test databases pgtest leaves behind (a template per migration
# change; test databases of killed runs). Do not run it while tests run.
clean-testdb: ## drop the vitrina_tpl_* and vitrina_test_* databases of the test server
	@psql "$(TEST_DATABASE_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'vitrina\_tpl\_%' OR datname LIKE 'vitrina\_test\_%'" | \
	while read -r db; do \
		echo "drop $$db"; \
		psql "$(TEST_DATABASE_URL)" -qc "ALTER DATABASE \"$$db\" WITH IS_TEMPLATE false" && \
		psql "$(TEST_DATABASE_URL)" -qc "DROP DATABASE \"$$db\" WITH (FORCE)"; \
	done
