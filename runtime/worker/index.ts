/**
 * The Node.js worker: a child process of the server (main.ts), not a library. Its API is the entry point the server
 * starts it with; the messages it exchanges with the server are runtime/protocol/.
 */
import { fileURLToPath } from "node:url";

/** The compiled worker entry point (dist/runtime/worker/main.js beside this file's compiled copy). */
export const WORKER_ENTRY = fileURLToPath(new URL("./main.js", import.meta.url));
