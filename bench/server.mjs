#!/usr/bin/env node
/**
 * Prediction server throughput, latency and cold start, beside two references measured the same way in the same
 * run: a bare node:http JSON echo server, and the IPC floor (node:http plus a child process answering over an fd-3
 * socket, the least a server that never runs model code in its own process can do). Uses the built dist/ (run
 * `npm run build` first). Everything on 127.0.0.1.
 *
 *   node bench/server.mjs [--requests N] [--warmup N] [--rounds N] [--starts N] [--baseline DIR]
 *
 * `--baseline DIR`: another checkout of cogts, built (its dist/): its server is measured as one more side in the
 * same alternating rounds, so a change to the server is compared with the code before it in one run (two runs
 * back to back on this shared machine differ by more than most changes).
 *
 * CPU per request counts the server and its children (worker), JIT compiler threads included: with the default
 * short warm-up part of it is one-time compilation; `--warmup 3000` shows the steady state.
 *
 * All clients run in this one process (Node's http client, one keep-alive connection each, no pipelining), which
 * shares the machine's cores with the servers: "load generator CPU" shows what it spends per request. When a fast
 * server answers the 4 clients in step, both sides handle several requests per wake-up (the bare server's CPU per
 * request at 4 clients is a fraction of its 1-client figure); a slower server falls out of step and pays a wake-up
 * per request. On a 2-core machine the bare server at 4 clients is bounded by this load generator, not by itself.
 *
 * With a worker there are three busy processes on two cores, and which two the scheduler puts on one core sets the
 * rate: measured in chunks of 500 requests, both the IPC floor and cogts switch between a slow mode (about 14k/s
 * here, when the server shares a core with the load generator) and a fast one (20-28k/s), several times a second.
 * A round's rate is the mix of the two it happened to get, so each row also shows the spread of its rounds.
 *
 * So by default the load generator is kept off the servers' cores, as a benchmark with its client on another
 * machine would be: this process runs on core 0, and each server under test, with its children, on the others
 * (`taskset`). On 2 cores the cogts server and its worker then share one core, the bare server has one to itself.
 * `--unpinned` leaves placement to the scheduler, mixing the modes above (report both; they answer different
 * questions: the server's cost, and what this one shared machine delivers). Start-to-READY is never pinned.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SERVER = join(ROOT, "dist", "runtime", "server", "main.js");
const SDK = join(ROOT, "dist", "runtime", "sdk", "index.js");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "4000" },
    warmup: { type: "string", default: "300" },
    starts: { type: "string", default: "5" },
    rounds: { type: "string", default: "5" },
    unpinned: { type: "boolean", default: false },
    baseline: { type: "string" },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const STARTS = Number(values.starts);
const ROUNDS = Number(values.rounds);

const BASELINE_SERVER = values.baseline ? join(values.baseline, "dist", "runtime", "server", "main.js") : undefined;
if (BASELINE_SERVER && !existsSync(BASELINE_SERVER)) {
  console.error(
    `--baseline ${values.baseline}: no built server there (${BASELINE_SERVER}); run \`npm run build\` in it.`,
  );
  process.exit(1);
}

if (!existsSync(SERVER)) {
  console.error("bench/server.mjs needs the built server: run `npm run build` first.");
  process.exit(1);
}

const BARE_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const text = JSON.stringify({ id: "x", status: "succeeded", output: body.input && body.input.text, logs: "", metrics: { predict_time: 0 } });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
});
server.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
`;

/**
 * The IPC floor: what any server that keeps model code out of its own process must pay. A node:http server
 * forwards each request body to a child process over the channel cogts uses (an fd-3 socket carrying newline
 * JSON); the child parses it, answers, and the server sends that answer back. No validation, no bookkeeping.
 */
const FLOOR_SERVER = `
const http = require("node:http");
const { spawn } = require("node:child_process");
const child = spawn(process.execPath, [__filename, "child"], { stdio: ["ignore", "inherit", "inherit", "pipe"] });
const channel = child.stdio[3];
channel.setEncoding("utf8");
const waiting = new Map();
let next = 0, buffered = "";
channel.on("data", (text) => {
  const data = buffered + text;
  let start = 0, end;
  while ((end = data.indexOf("\\n", start)) >= 0) {
    const reply = JSON.parse(data.slice(start, end));
    start = end + 1;
    const res = waiting.get(reply.id);
    waiting.delete(reply.id);
    const body = JSON.stringify({ id: reply.id, status: "succeeded", output: reply.output, logs: "", metrics: { predict_time: 0 } });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }
  buffered = data.slice(start);
});
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const id = "p" + ++next;
    waiting.set(id, res);
    channel.write(JSON.stringify({ id, input: body.input }) + "\\n");
  });
});
server.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
`;
const FLOOR_CHILD = `
if (process.argv[2] === "child") {
  const { Socket } = require("node:net");
  const socket = new Socket({ fd: 3, readable: true, writable: true });
  socket.setEncoding("utf8");
  socket.on("close", () => process.exit(0));
  let buffered = "";
  socket.on("data", (text) => {
    const data = buffered + text;
    let start = 0, end;
    while ((end = data.indexOf("\\n", start)) >= 0) {
      const message = JSON.parse(data.slice(start, end));
      start = end + 1;
      socket.write(JSON.stringify({ id: message.id, output: message.input && message.input.text }) + "\\n");
    }
    buffered = data.slice(start);
  });
  return;
}
`;

/** Compiles a fixture predictor to JavaScript, as the image build does, with `cogts` pointing at dist's SDK. */
async function compileFixture(name, scratch) {
  const ts = (await import("typescript")).default;
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const source = readFileSync(join(ROOT, "fixtures", "predictors", name, "predict.ts"), "utf8");
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(
    join(dir, "predict.js"),
    js.replace(/from "cogts"/g, `from ${JSON.stringify(pathToFileURL(SDK).href)}`),
  );
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "openapi.json"), readFileSync(join(ROOT, "fixtures", "predictors", name, "openapi.json")));
  return dir;
}

/**
 * The cores the servers under test run on (all but core 0, which this process keeps for itself), or undefined
 * when unpinned. taskset execs node in place, so the child's pid is the server's.
 */
const ALL_CORES = `0-${cpus().length - 1}`;
const SERVER_CORES =
  values.unpinned || cpus().length < 2 || spawnSync("taskset", ["--version"]).status !== 0
    ? undefined
    : cpus().length === 2
      ? "1"
      : `1-${cpus().length - 1}`;
if (SERVER_CORES) execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });

function startProcess(args, options, cores = SERVER_CORES) {
  const started = performance.now();
  const command = cores ? ["taskset", ["-c", cores, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command[0], command[1], { stdio: ["ignore", "pipe", "inherit"], ...options });
  const port = new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
      const m = /listening on (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`process exited with ${code}`)));
  });
  return { child, port, started };
}

function startCogServer(dir, env = {}, cores = SERVER_CORES, server = SERVER) {
  return startProcess(
    [server, "--host", "127.0.0.1"],
    {
      cwd: dir,
      env: {
        ...process.env,
        COG_LOG_LEVEL: "warning",
        PORT: "0",
        COGTS_ANNOUNCE_PORT: "1",
        COG_PREDICT_TYPE_STUB: "predict.ts:Predictor",
        COG_OPENAPI_SCHEMA: join(dir, "openapi.json"),
        ...env,
      },
    },
    cores,
  );
}

/**
 * The same echo as a Python predictor (sync, and async for the concurrent case), with the schema cogts reads
 * from it, served by the same server with the Python worker (`python3 -m cog._worker`).
 */
async function pythonEcho(scratch, asyncPredict) {
  const dir = join(scratch, asyncPredict ? "py-async-echo" : "py-echo");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "predict.py"),
    [
      "from cog import BasePredictor, Input",
      "",
      "",
      "class Predictor(BasePredictor):",
      `    ${asyncPredict ? "async " : ""}def predict(self, text: str = Input(default="hello")) -> str:`,
      "        return text",
      "",
    ].join("\n"),
  );
  const { generateSchema } = await import(pathToFileURL(join(ROOT, "dist", "src", "schema", "index.js")).href);
  writeFileSync(
    join(dir, "openapi.json"),
    JSON.stringify(await generateSchema({ dir, predict: "predict.py:Predictor" })),
  );
  return dir;
}

/** python3 resolved once to its binary (a pyenv shim costs a second or more per start); COGTS_PYTHON wins. */
const PYTHON =
  process.env.COGTS_PYTHON ||
  execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();

function startPythonServer(dir, env = {}, cores = SERVER_CORES) {
  return startCogServer(dir, { COG_PREDICT_TYPE_STUB: "predict.py:Predictor", COGTS_PYTHON: PYTHON, ...env }, cores);
}

function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitReady(port, started) {
  const agent = new http.Agent({ keepAlive: true });
  for (;;) {
    try {
      const body = JSON.parse(await get(await port, "/health-check", agent));
      if (body.status === "READY") return performance.now() - started;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

function post(port, agent, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/predictions",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** `clients` keep-alive connections, each sending `total / clients` requests back to back. */
async function load(port, clients, total, latencies) {
  const payload = JSON.stringify({ input: { text: "hello" } });
  const agents = Array.from({ length: clients }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const perClient = Math.ceil(total / clients);
  const start = performance.now();
  await Promise.all(
    agents.map(async (agent) => {
      for (let i = 0; i < perClient; i++) {
        const t = performance.now();
        await post(port, agent, payload);
        latencies?.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agents.forEach((a) => a.destroy());
  return (perClient * clients) / seconds;
}

/** CPU time (ms) used so far by a process and its children (the worker), from /proc; undefined elsewhere. */
function cpuMs(pid) {
  try {
    const pids = [
      pid,
      ...readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    ];
    const ticks = pids
      .map((p) => readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" "))
      .reduce((sum, f) => sum + Number(f[11]) + Number(f[12]), 0);
    return (ticks * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Requests each server (by port) has answered so far, warm-ups included. */
const served = new Map();

/**
 * The machine is shared, so the servers are measured in alternating rounds and each side reports its median
 * round: a burst of load from elsewhere then hits every side instead of skewing the ratios.
 * Each side is `{ port, pid }`; also reports the servers' CPU time per request, which load elsewhere barely skews. */
async function compare(sides, clients) {
  sides = sides.map((s) => ({ ...s, rates: [], latencies: [], cpu: 0, clientCpu: 0, requests: 0 }));
  // Every side gets the same history before it is measured: a server met for the first time here (the async
  // cogts server) is warmed up to as many requests as the ones already measured in an earlier comparison, or
  // its JIT compilation would be counted against it while the references run warm.
  const history = Math.max(...sides.map((side) => served.get(side.port) ?? 0)) + WARMUP;
  for (const side of sides) {
    const missing = history - (served.get(side.port) ?? 0);
    if (missing > 0) await load(side.port, clients, missing);
    served.set(side.port, history);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of sides) {
      const before = cpuMs(side.pid);
      const clientBefore = process.cpuUsage();
      const count = Math.ceil(REQUESTS / ROUNDS);
      side.rates.push(await load(side.port, clients, count, side.latencies));
      const after = cpuMs(side.pid);
      const client = process.cpuUsage(clientBefore);
      side.clientCpu += (client.user + client.system) / 1000;
      if (before !== undefined && after !== undefined) side.cpu += after - before;
      side.requests += count;
      served.set(side.port, served.get(side.port) + count);
    }
  }
  return sides.map((side) => {
    const sorted = [...side.latencies].sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    const rates = [...side.rates].sort((a, b) => a - b);
    return {
      rps: rates[Math.floor(rates.length / 2)],
      low: rates[0],
      high: rates[rates.length - 1],
      p50: pct(50),
      p99: pct(99),
      cpuUs: (side.cpu * 1000) / side.requests,
      clientUs: (side.clientCpu * 1000) / side.requests,
    };
  });
}

function row(label, r) {
  return `${label.padEnd(52)} ${r.rps.toFixed(0).padStart(7)} req/s (rounds ${(r.low / 1000).toFixed(1)}-${(r.high / 1000).toFixed(1)}k)   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   server CPU ${r.cpuUs.toFixed(0).padStart(4)} µs/req   load generator CPU ${r.clientUs.toFixed(0).padStart(4)} µs/req`;
}

const scratch = mkdtempSync(join(tmpdir(), "cogts-bench-"));
const children = [];
try {
  const echoDir = await compileFixture("echo", scratch);
  const bareFile = join(scratch, "bare.cjs");
  writeFileSync(bareFile, BARE_SERVER);

  const floorFile = join(scratch, "floor.cjs");
  writeFileSync(floorFile, FLOOR_CHILD + FLOOR_SERVER);

  const bare = startProcess([bareFile], {});
  children.push(bare.child);
  const barePort = await bare.port;
  const floor = startProcess([floorFile], {});
  children.push(floor.child);
  const floorPort = await floor.port;
  const echo = startCogServer(echoDir);
  children.push(echo.child);
  await waitReady(echo.port, echo.started);
  const asyncServer = startCogServer(echoDir, { COG_MAX_CONCURRENCY: "4" });
  children.push(asyncServer.child);
  await waitReady(asyncServer.port, asyncServer.started);
  // The baseline's servers, when asked for: the same echo, the same settings, its own dist/.
  let baseEcho;
  let baseAsync;
  if (BASELINE_SERVER) {
    baseEcho = startCogServer(echoDir, {}, SERVER_CORES, BASELINE_SERVER);
    children.push(baseEcho.child);
    await waitReady(baseEcho.port, baseEcho.started);
    baseAsync = startCogServer(echoDir, { COG_MAX_CONCURRENCY: "4" }, SERVER_CORES, BASELINE_SERVER);
    children.push(baseAsync.child);
    await waitReady(baseAsync.port, baseAsync.started);
  }
  const pyEchoDir = await pythonEcho(scratch, false);
  const pyAsyncDir = await pythonEcho(scratch, true);
  const pyEcho = startPythonServer(pyEchoDir);
  children.push(pyEcho.child);
  await waitReady(pyEcho.port, pyEcho.started);
  const pyAsync = startPythonServer(pyAsyncDir, { COG_MAX_CONCURRENCY: "4" });
  children.push(pyAsync.child);
  await waitReady(pyAsync.port, pyAsync.started);

  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} (figures from a shared machine are noisy)`,
  );
  console.log(
    SERVER_CORES
      ? `placement: load generator on core 0, each server with its children on core(s) ${SERVER_CORES} (--unpinned to let the scheduler place them)`
      : "placement: unpinned, left to the scheduler",
  );
  console.log(
    `cogts prediction server: ${REQUESTS} requests per side in ${ROUNDS} alternating rounds (median round), after ${WARMUP} warm-up; keep-alive, 127.0.0.1`,
  );
  const bareSide = { port: barePort, pid: bare.child.pid };
  const floorSide = { port: floorPort, pid: floor.child.pid };
  const versus = (cog, bare, floor) =>
    `  ratio ${(cog.rps / bare.rps).toFixed(2)}x the bare server (goal >= 0.5x), ${(cog.rps / floor.rps).toFixed(2)}x the IPC floor (whose own ratio is ${(floor.rps / bare.rps).toFixed(2)}x); ` +
    `CPU per request ${(cog.cpuUs / bare.cpuUs).toFixed(1)}x bare, ${(cog.cpuUs / floor.cpuUs).toFixed(1)}x floor`;
  // The server's CPU figure covers the server process only (its worker, Node or Python, is a child).
  const baseSide = async (server) => (server ? [{ port: await server.port, pid: server.child.pid }] : []);
  const [bare1, floor1, cog1, py1, base1] = await compare(
    [
      bareSide,
      floorSide,
      { port: await echo.port, pid: echo.child.pid },
      { port: await pyEcho.port, pid: pyEcho.child.pid },
      ...(await baseSide(baseEcho)),
    ],
    1,
  );
  const [bare4, floor4, cog4, py4, base4] = await compare(
    [
      bareSide,
      floorSide,
      { port: await asyncServer.port, pid: asyncServer.child.pid },
      { port: await pyAsync.port, pid: pyAsync.child.pid },
      ...(await baseSide(baseAsync)),
    ],
    4,
  );
  console.log(row("bare node:http JSON echo, 1 client", bare1));
  console.log(row("IPC floor (http + child over fd-3 JSON), 1 client", floor1));
  console.log(row("cogts sync POST /predictions (echo), 1 client", cog1));
  console.log(versus(cog1, bare1, floor1));
  console.log(row("bare node:http JSON echo, 4 clients", bare4));
  console.log(row("IPC floor, 4 clients", floor4));
  console.log(row("cogts async echo, COG_MAX_CONCURRENCY=4, 4 clients", cog4));
  console.log(versus(cog4, bare4, floor4));
  console.log(row("cogts + Python worker, sync echo, 1 client", py1));
  console.log(`  ratio ${(py1.rps / cog1.rps).toFixed(2)}x the TypeScript worker (goal >= 0.5x)`);
  console.log(row("cogts + Python worker, async echo, max 4, 4 clients", py4));
  console.log(`  ratio ${(py4.rps / cog4.rps).toFixed(2)}x the TypeScript worker (goal >= 0.5x)`);
  if (base1 && base4) {
    const against = (cog, base) =>
      `  this/baseline: ${(cog.rps / base.rps).toFixed(2)}x the throughput, ${(cog.cpuUs / base.cpuUs).toFixed(2)}x the CPU per request`;
    console.log(`baseline: ${values.baseline}`);
    console.log(row("baseline sync POST /predictions (echo), 1 client", base1));
    console.log(versus(base1, bare1, floor1));
    console.log(against(cog1, base1));
    console.log(row("baseline async echo, COG_MAX_CONCURRENCY=4, 4 clients", base4));
    console.log(versus(base4, bare4, floor4));
    console.log(against(cog4, base4));
  }

  for (const c of children.splice(0)) c.kill("SIGKILL");

  const bareStarts = [];
  const readyTimes = [];
  const pyReadyTimes = [];
  for (let i = 0; i < STARTS; i++) {
    const b = startProcess([bareFile], {}, SERVER_CORES && ALL_CORES);
    await b.port;
    bareStarts.push(performance.now() - b.started);
    b.child.kill("SIGKILL");
    const s = startCogServer(echoDir, {}, SERVER_CORES && ALL_CORES);
    readyTimes.push(await waitReady(s.port, s.started));
    s.child.kill("SIGKILL");
    const p = startPythonServer(pyEchoDir, {}, SERVER_CORES && ALL_CORES);
    pyReadyTimes.push(await waitReady(p.port, p.started));
    p.child.kill("SIGKILL");
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `process start to READY (compiled JS predictor, empty setup), median of ${STARTS}: ${(median(readyTimes) / 1000).toFixed(3)} s (goal <= 0.3 s)`,
  );
  console.log(
    `process start to READY (Python predictor, empty setup), median of ${STARTS}: ${(median(pyReadyTimes) / 1000).toFixed(3)} s (goal <= 1 s)`,
  );
  console.log(
    `  reference: bare node:http server start to listening: ${(median(bareStarts) / 1000).toFixed(3)} s; ratio ${(median(readyTimes) / median(bareStarts)).toFixed(2)}x`,
  );
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
}
