/**
 * The HTTP server, Cog's API: a process (main.ts), not a library. Its API is the entry point to start it with
 * (`node SERVER_ENTRY [--host H] …`, arguments in main.ts), used by `--no-docker` runs (src/local/).
 */
import { fileURLToPath } from "node:url";

/** The compiled server entry point (dist/runtime/server/main.js beside this file's compiled copy). */
export const SERVER_ENTRY = fileURLToPath(new URL("./main.js", import.meta.url));
