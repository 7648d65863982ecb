/** Where the server looks for the built console, relative to the package root. */
export declare const CONSOLE_DIR: "dist/console"
/** Builds the console page into `outDir` (default `<package root>/dist/console`), replacing what was there. */
export declare const buildConsole: (outDir?: string) => Promise<{ readonly outDir: string; readonly files: ReadonlyArray<string> }>
