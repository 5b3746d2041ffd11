// The playground page: health, the generated form, running and cancelling predictions, history and sharing.
import * as api from "./api.js";
import { el } from "./dom.js";
import { buildForm } from "./form.js";
import { outputNode, renderOutput, StreamView } from "./output.js";
import { cogRunCommand, curlCommand, fetchSnippet } from "./share.js";

const $ = (id) => document.getElementById(id);
const state = { target: "", schema: null, form: null, running: null, history: [], shareKind: "curl", lastHealth: "" };

function setStatus(text, status) {
  $("status").textContent = text;
  $("status").dataset.status = status ?? "";
}

function showHealth(h) {
  const badge = $("health");
  badge.textContent = h.status === "UNREACHABLE" ? "unreachable" : (h.status ?? "unknown");
  badge.dataset.status = h.status ?? "";
  const banner = $("setup");
  const setup = h.setup ?? {};
  const starting = h.status === "STARTING";
  const failed = h.status === "SETUP_FAILED";
  banner.hidden = !(starting || failed || h.status === "UNREACHABLE" || h.status === "UNHEALTHY");
  banner.dataset.status = h.status ?? "";
  $("setup-progress").hidden = !starting;
  if (starting) {
    const since = setup.started_at ? Math.max(0, (Date.now() - Date.parse(setup.started_at)) / 1000) : undefined;
    $("setup-text").textContent =
      `The model is running setup()${since === undefined ? "" : ` (${since.toFixed(0)} s so far)`}; the form opens when it is ready.`;
  } else if (failed) {
    $("setup-text").textContent =
      "Setup failed: the model cannot run predictions. Its setup logs say why; fix the model and restart the server.";
  } else if (h.status === "UNREACHABLE") {
    $("setup-text").textContent = `Cannot reach the model server at ${state.target}; retrying. ${h.error ?? ""}`;
  } else if (h.status === "UNHEALTHY") {
    $("setup-text").textContent = "The model's own healthcheck() reports it unhealthy.";
  }
  $("setup-logs").textContent = starting || failed ? (setup.logs ?? "") : "";
  if (failed && state.lastHealth !== "SETUP_FAILED") $("setup-logs").setAttribute("role", "alert");
  state.lastHealth = h.status;
}

async function pollHealth() {
  let h;
  try {
    h = await api.health();
  } catch (e) {
    h = { status: "UNREACHABLE", error: e.message };
  }
  showHealth(h);
  if ((h.status === "READY" || h.status === "BUSY") && !state.schema) {
    try {
      await loadSchema();
    } catch (e) {
      $("form-error").textContent = `Cannot read the model's schema: ${e.message}`;
    }
  }
  setTimeout(pollHealth, h.status === "READY" || h.status === "BUSY" ? 3000 : 1000);
}

async function loadSchema() {
  state.schema = await api.openapi();
  state.form = buildForm($("fields"), state.schema);
  state.streaming = state.schema.paths?.["/predictions"]?.post?.["x-cog-streaming"] === true;
  state.outputSchema = state.schema.components?.schemas?.Output ?? {};
  $("run").disabled = false;
  updateShare();
}

function showMetrics(metrics, elapsed) {
  const parts = [];
  if (metrics?.predict_time !== undefined) parts.push(`predict_time ${Number(metrics.predict_time).toFixed(3)} s`);
  for (const [name, value] of Object.entries(metrics ?? {}))
    if (name !== "predict_time") parts.push(`${name} ${JSON.stringify(value)}`);
  if (elapsed !== undefined) parts.push(`round trip ${elapsed.toFixed(2)} s`);
  $("metrics").textContent = parts.join(" · ");
}

function showRefusal({ status, body }) {
  if (status === 422 && Array.isArray(body?.detail)) {
    const general = [];
    let first;
    for (const d of body.detail) {
      const loc = d.loc ?? [];
      const name = loc[0] === "body" && loc[1] === "input" ? loc[2] : undefined;
      const where = loc
        .slice(3)
        .map((p) => `[${p}]`)
        .join("");
      if (name === undefined || !state.form.setError(String(name), `${where ? `${where}: ` : ""}${d.msg}`))
        general.push(`${loc.join(".")}: ${d.msg}`);
      else first ??= String(name);
    }
    $("form-error").textContent = general.length
      ? `The server refused the input: ${general.join("; ")}`
      : "The server refused some inputs: see the fields marked in red.";
    if (first) state.form.focusField(first);
    setStatus("Refused (422): invalid input.", "error");
    return;
  }
  $("form-error").textContent = api.explainRefusal(status, body);
  setStatus(`Refused (${status}).`, "error");
}

const randomId = (prefix, words) =>
  `${prefix}-${crypto.getRandomValues(new Uint32Array(words)).reduce((s, n) => s + n.toString(16).padStart(8, "0"), "")}`;

async function run(input) {
  const id = randomId("playground", 2);
  const controller = new AbortController();
  const started = performance.now();
  state.running = { id, controller };
  $("run").disabled = true;
  $("cancel").disabled = false;
  $("form-error").textContent = "";
  $("logs").textContent = "";
  $("metrics").textContent = "";
  $("output").replaceChildren();
  setStatus("Starting…", "starting");
  const view = state.streaming ? new StreamView($("output"), state.outputSchema) : null;
  const live = {};
  // The running time ticks outside the live region: a screen reader hears "Running…" once, not five times a second.
  const tick = setInterval(() => {
    if (state.running?.id !== id) return;
    if ($("status").dataset.status === "starting") setStatus("Running…", "processing");
    $("elapsed").textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  }, 200);
  // A model that does not stream sends its logs as webhooks, which the playground relays (when it can be reached).
  const token = !state.streaming && state.webhooks ? randomId("page", 4) : undefined;
  const relay = token
    ? await api.listenForWebhooks(token, (update) => {
        if (typeof update.logs === "string") $("logs").textContent = update.logs;
        if (update.metrics) showMetrics(update.metrics);
      })
    : undefined;
  let result;
  try {
    result = await api.predict({
      id,
      input,
      stream: state.streaming,
      signal: controller.signal,
      webhook: token ? `${state.webhooks}${token}` : undefined,
      onEvent(name, data) {
        if (name === "output") view.push(data.chunk);
        else if (name === "log") $("logs").append(data.data ?? "");
        else if (name === "metric") {
          live[data.name] = data.mode === "increment" ? (live[data.name] ?? 0) + data.value : data.value;
          showMetrics(live);
        } else if (name === "error")
          $("form-error").textContent = `The event stream broke off: ${data.error ?? JSON.stringify(data)}`;
      },
    });
  } catch (e) {
    result = {
      prediction: {
        id,
        status: controller.signal.aborted ? "canceled" : "error",
        error: controller.signal.aborted ? undefined : `the request failed: ${e.message}`,
      },
    };
  } finally {
    relay?.close();
    clearInterval(tick);
    $("elapsed").textContent = "";
    state.running = null;
    $("run").disabled = false;
    $("cancel").disabled = true;
  }
  const elapsed = (performance.now() - started) / 1000;
  if (result.refused) {
    showRefusal(result.refused);
    return;
  }
  const p = result.prediction;
  if (!view || view.items.length === 0) renderOutput($("output"), p.output, state.outputSchema);
  if (p.error) $("output").prepend(el("p", { class: "error", role: "alert" }, [`Error: ${p.error}`]));
  if (typeof p.logs === "string") $("logs").textContent = p.logs;
  setStatus(
    `${p.status === "succeeded" ? "Succeeded" : p.status === "canceled" ? "Canceled" : p.status === "failed" ? "Failed" : p.status}.`,
    p.status,
  );
  showMetrics(p.metrics, elapsed);
  addHistory({ input, prediction: p, elapsed });
}

/** An input's value for display: files as "(file)", secrets masked (the page's own copy keeps them for Re-run). */
function shown(name, value) {
  if (state.form?.kinds().get(name) === "secret") return "••••••";
  return typeof value === "string" && value.startsWith("data:") ? "(file)" : (JSON.stringify(value) ?? "(unset)");
}

function addHistory(entry) {
  entry.n = state.history.length + 1;
  state.history.unshift(entry);
  $("history-empty").hidden = true;
  const p = entry.prediction;
  const summary = Object.entries(entry.input)
    .map(([k, v]) => `${k}=${shown(k, v)}`)
    .join(", ");
  const rerun = el("button", { type: "button", class: "small" }, ["Re-run"]);
  const show = el("button", { type: "button", class: "small" }, ["Show"]);
  const compare = el("input", { type: "checkbox", id: `cmp-${entry.n}`, "aria-label": `Compare run ${entry.n}` });
  rerun.addEventListener("click", () => {
    state.form.fill(entry.input);
    updateShare();
    void run(entry.input);
  });
  show.addEventListener("click", () => {
    state.form.fill(entry.input);
    renderOutput($("output"), p.output, state.outputSchema);
    $("logs").textContent = p.logs ?? "";
    setStatus(`Run ${entry.n}: ${p.status}.`, p.status);
    showMetrics(p.metrics, entry.elapsed);
    updateShare();
  });
  compare.addEventListener("change", renderCompare);
  entry.checkbox = compare;
  $("history").prepend(
    el("li", {}, [
      el("strong", {}, [`Run ${entry.n}`]),
      " ",
      el("span", { class: "meta" }, [
        `${p.status}${p.metrics?.predict_time !== undefined ? `, ${Number(p.metrics.predict_time).toFixed(3)} s` : ""} — ${summary.length > 160 ? `${summary.slice(0, 160)}…` : summary}`,
      ]),
      " ",
      rerun,
      " ",
      show,
      " ",
      compare,
      el("label", { for: `cmp-${entry.n}` }, [" compare"]),
    ]),
  );
}

function renderCompare() {
  const chosen = state.history.filter((h) => h.checkbox.checked).slice(0, 2);
  if (chosen.length < 2) {
    $("compare").replaceChildren();
    return;
  }
  const keys = [...new Set(chosen.flatMap((h) => Object.keys(h.input)))];
  $("compare").replaceChildren(
    ...chosen.map((h) =>
      el("div", {}, [
        el("h3", {}, [`Run ${h.n}: ${h.prediction.status}`]),
        el(
          "dl",
          {},
          keys.flatMap((k) => {
            const differs = JSON.stringify(chosen[0].input[k]) !== JSON.stringify(chosen[1].input[k]);
            const v = h.input[k];
            return [el("dt", {}, [k]), el("dd", differs ? { class: "diff" } : {}, [shown(k, v)])];
          }),
        ),
        outputNode(h.prediction.output, state.outputSchema),
      ]),
    ),
  );
}

function updateShare() {
  if (!state.form) return;
  const { input } = state.form.collect();
  const code =
    state.shareKind === "cog"
      ? cogRunCommand(input, state.form.kinds(), (name) => state.form.fileNames(name))
      : state.shareKind === "fetch"
        ? fetchSnippet(state.target, input)
        : curlCommand(state.target, input);
  $("code").textContent = code;
}

function selectTab(tab) {
  for (const t of document.querySelectorAll("[role=tab]")) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
  }
  $("code").setAttribute("aria-labelledby", tab.id);
  state.shareKind = tab.dataset.kind;
  updateShare();
}

function wire() {
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!state.form || state.running) return;
    state.form.clearErrors();
    $("form-error").textContent = "";
    const { input, problems } = state.form.collect();
    if (problems.length) {
      for (const [name, message] of problems) state.form.setError(name, message);
      $("form-error").textContent = "Some inputs need attention: see the fields marked in red.";
      state.form.focusField(problems[0][0]);
      return;
    }
    void run(input);
  });
  $("cancel").addEventListener("click", async () => {
    const running = state.running;
    if (!running) return;
    setStatus("Canceling…", "canceling");
    const status = await api.cancel(running.id).catch(() => 0);
    // Not (yet) known to the server, or unreachable: stop waiting for it here at least.
    if (status !== 200) running.controller.abort();
  });
  $("reset").addEventListener("click", () => {
    state.form?.reset();
    updateShare();
  });
  $("form").addEventListener("input", () => updateShare());
  $("form").addEventListener("change", () => setTimeout(updateShare, 50));
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (e) => {
      const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  }
  $("copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("code").textContent);
      $("copied").textContent = "Copied.";
    } catch {
      getSelection().selectAllChildren($("code"));
      $("copied").textContent = "Selected: press Ctrl+C to copy.";
    }
  });
}

async function main() {
  wire();
  try {
    const config = await (await fetch("/config.json")).json();
    state.target = config.target;
    state.webhooks = config.webhooks;
  } catch {
    state.target = location.origin + "/api";
  }
  $("target").textContent = state.target;
  void pollHealth();
}

void main();
