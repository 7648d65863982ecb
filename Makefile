# The two commands of the README's quick start: `make demo` and `make test`.
# Each installs what a fresh clone lacks: npm packages, then ffmpeg, espeak-ng and fonts.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json

.PHONY: demo test typecheck bench system-deps clean

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

system-deps:
	@bash scripts/ensure-system-deps.sh

demo: $(NPM_STAMP) system-deps
	npx tsx apps/cli/main.ts demo

typecheck: $(NPM_STAMP)
	npx tsc --noEmit

test: $(NPM_STAMP) system-deps typecheck
	npx vitest run

bench: $(NPM_STAMP) system-deps
	@for b in bench/*.ts; do echo "== $$b"; npx tsx $$b; done

clean:
	rm -rf dist out .reelswarm
