/** The type check in a worker thread (see `background` in typecheck.ts): answers with the outcome and ends. */
import { parentPort, workerData } from "node:worker_threads";
import { checkHere } from "./typecheck.js";

const { root, entries } = workerData as { root: string; entries: string[] };
parentPort!.postMessage(checkHere(root, entries));
