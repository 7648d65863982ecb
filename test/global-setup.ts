/**
 * Once per test run: the `reelswarm` command as it ships (apps/cli/main.ts bundled by
 * scripts/bundle-cli.mjs), built from this checkout's sources into out/test-cli/, where the
 * bundle's external packages resolve from the repository's node_modules. Every test that runs the
 * command as a process runs this bundle: it starts in about a second where the sources through tsx
 * take five of CPU, which over the suite's few hundred commands is most of its time on two cores.
 */
import { execFileSync } from "node:child_process"
import { CLI_BUNDLE, ROOT } from "./fixtures/cli-bundle.ts"

/**
 * The bundle is written beside itself and renamed into place (scripts/bundle-cli.mjs), so a run
 * started meanwhile in the same checkout keeps running the whole old one, never a missing one; a
 * failed build fails the run here, so no test runs a stale bundle.
 */
export default function setup() {
  execFileSync(process.execPath, [`${ROOT}/scripts/bundle-cli.mjs`, CLI_BUNDLE], { cwd: ROOT, stdio: "inherit" })
}
