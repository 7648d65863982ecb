# The two commands of the README's quick start: `make demo` and `make test`.
# Each installs what a fresh clone lacks: npm packages, then ffmpeg, espeak-ng and fonts.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json

.PHONY: demo test typecheck lint format layers bench system-deps clean console

# npm 11 writes lock files without other platforms' optional packages and `npm ci` then refuses
# them (npm/cli#8320); `npm install --no-save` installs exactly the locked versions instead.
$(NPM_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund --no-save
	@touch $@

system-deps:
	@bash scripts/ensure-system-deps.sh

# bin/reelswarm.js builds the CLI bundle (dist/cli.mjs) first when it is missing or older than the sources.
demo: $(NPM_STAMP) system-deps
	node bin/reelswarm.js demo

# The console page `reelswarm serve` hands out (dist/console: the page with cytoscape and uPlot bundled in).
console: $(NPM_STAMP)
	node scripts/bundle-console.mjs

typecheck: $(NPM_STAMP)
	npx tsc --noEmit

# Formatting (dprint.json) is checked, not applied; `make format` applies eslint's safe fixes
# (what it cannot fix is listed, and formatting goes on), then the formatting.
lint: $(NPM_STAMP)
	npx dprint check
	npx eslint .

format: $(NPM_STAMP)
	-npx eslint --fix .
	npx dprint fmt

test: $(NPM_STAMP) system-deps typecheck lint
	npx vitest run --reporter=default --reporter=json --outputFile=out/test-results.json
	@node -e 'const r = require("./out/test-results.json"); console.log(`$${r.numPassedTests} passed, $${r.numFailedTests} failed, $${r.numPendingTests + r.numTodoTests} skipped`)'

# The house rules of DESIGN.md (layering, indexes, internal/, sibling agents, package exports); also part of `make test`.
layers: $(NPM_STAMP)
	npx vitest run test/unit/house/layering.test.ts

BENCHES := runtime memory render job scale

bench: $(NPM_STAMP) system-deps
	@for b in $(BENCHES); do echo "== bench/$$b.ts" >&2; npx tsx bench/$$b.ts; done

clean:
	rm -rf dist out .reelswarm
