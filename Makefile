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
# staticcheck, pinned: `make lint` installs this version into $(GOBIN) (default ~/go/bin)
# when the one found there is another. 0.8.2 is staticcheck 2026.2.2, built for Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK = $(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)/staticcheck
# `make migrate CMD=status` (or down).
CMD ?= up

TEST_DATABASE_URL ?= $(or $(VITRINA_TEST_DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)

.PHONY: help build test vet lint fmt check-fmt migrate run demo fuzz clean clean-testdb services

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

build: ## build bin/vitrina with the version stamped in
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vitrina

test: ## run every test (needs PostgreSQL and Redis: `.ci/run services` starts them)
	$(GO) test -race -count=1 $(TEST_FLAGS) ./...

vet: ## go vet every package
	$(GO) vet ./...

lint: ## run staticcheck (installing the pinned version when missing) on every package
	@$(STATICCHECK) -version 2>/dev/null | grep -q '($(STATICCHECK_VERSION:v%=%))$$' || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...

fmt: ## format every Go file
	gofmt -w $$(find . -name '*.go' -not -path './.git/*')

check-fmt: ## fail when a Go file is not gofmt-formatted
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$files" ]; then echo "not gofmt-formatted (run make fmt):"; echo "$$files"; exit 1; fi

migrate: build ## apply the migrations to VITRINA_DATABASE_URL (CMD=status|down for the others)
	./$(BIN) migrate $(CMD)

# run talks to the real Telegram: without a token, say how to get one before building
# anything. A token from a config file (VITRINA_CONFIG) is checked by
# vitrina itself. The token is never printed.
define check_token
if [ -z "$$VITRINA_TELEGRAM_TOKEN" ] && [ -z "$$VITRINA_CONFIG" ]; then \
	echo "VITRINA_TELEGRAM_TOKEN is not set." >&2; \
	echo "" >&2; \
	echo "'make run' runs the bot against the real Telegram, so it needs a bot token" >&2; \
	echo "('make demo' needs none: it runs against a simulated Telegram in your browser):" >&2; \
	echo "  1. In Telegram, open @BotFather (https://t.me/BotFather) and send /newbot." >&2; \
	echo "  2. Pick a name and a username; BotFather answers with a token like 123456789:AA..." >&2; \
	echo "  3. export VITRINA_TELEGRAM_TOKEN=<that token>   and run 'make run' again." >&2; \
	echo "README.md (Two commands) has the optional steps: card payments, inline mode." >&2; \
	exit 1; \
fi; \
if [ -n "$$VITRINA_TELEGRAM_TOKEN" ] && ! printf '%s' "$$VITRINA_TELEGRAM_TOKEN" | grep -Eq '^[0-9]+:[A-Za-z0-9_-]{35}$$'; then \
	echo "VITRINA_TELEGRAM_TOKEN does not look like a bot token (digits, a colon, 35 letters, digits, _ or -)." >&2; \
	echo "Copy it again from @BotFather (/mybots -> your bot -> API Token)." >&2; \
	exit 1; \
fi
endef

run: ## run the bot, HTTP server and worker in one process (needs VITRINA_TELEGRAM_TOKEN)
	@$(check_token)
	@$(MAKE) --no-print-directory build
	@./$(BIN) migrate up || { echo "migrate failed: PostgreSQL must run on 127.0.0.1:5432 (or set VITRINA_DATABASE_URL); 'make services' starts it" >&2; exit 1; }
	./$(BIN) serve --with-worker

# The demo needs no token and no network: PostgreSQL and Redis are used where they run, started
# in Docker when a Docker engine works, else installed (Debian or Ubuntu, as root); then
# vitrina demo migrates, seeds the demo world (once) and prints the URL of the sandbox page.
demo: ## run all of Vitrina with a simulated Telegram in your browser (no token needed)
	@.ci/run demo-services
	@$(MAKE) --no-print-directory build
	./$(BIN) demo

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
