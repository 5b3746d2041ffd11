/**
 * Issue 14 item 2: every byte a predictor writes during a prediction is that prediction's, also 1 MiB written
 * just before predict() returns, through process.stdout, console, fs.writeSync(1) or a child process; none of it
 * reaches the next prediction, its client or its webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { startReceiver } from "../helpers/receiver.js";
import { predict } from "./watch.js";

const MiB = 1024 * 1024;

function checkIsolation(concurrency: number, ways: string[]): void {
  describe(`with COG_MAX_CONCURRENCY=${concurrency}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer("hostile", { env: { COG_MAX_CONCURRENCY: String(concurrency) } });
    }, 60_000);
    afterAll(() => server.stop());

    for (const how of ways) {
      it(`keeps 1 MiB written through ${how} just before predict() returns in that prediction's logs only`, async () => {
        const receiver = await startReceiver();
        try {
          for (let round = 0; round < 3; round++) {
            const tag = `burst-${how}-${round}`;
            const first = await predict(server, { mode: "burst", arg: JSON.stringify({ how, tag }), size: MiB });
            expect(first.body.status).toBe("succeeded");
            const logs = String(first.body.logs);
            expect(logs.length, `round ${round}: ${logs.length} of ${MiB} characters kept`).toBeGreaterThanOrEqual(MiB);
            expect(logs).toContain(`<${tag}>${"x".repeat(MiB)}</${tag}>`);
            // The next prediction, sync and async with a webhook: nothing of the first.
            const next = await predict(server, { mode: "echo", arg: '"next"' });
            expect(next.body.status).toBe("succeeded");
            expect(String(next.body.logs)).not.toContain("xxxx");
            expect(String(next.body.logs)).not.toContain(tag);
            const hooked = await predict(
              server,
              { mode: "echo", arg: '"hooked"' },
              { webhook: `${receiver.url}/hook` },
            );
            expect(hooked.body.status).toBe("succeeded");
          }
          await receiver.waitFor((received) => received.filter((r) => r.json?.status === "succeeded").length === 3);
          for (const hook of receiver.received) {
            expect(String(hook.json?.logs ?? "")).not.toContain("xxxx");
            expect(hook.body.toString()).not.toContain("burst-");
          }
        } finally {
          await receiver.close();
        }
      }, 60_000);
    }
  });
}

// One prediction at a time: output at every level is attributed. Several at once, JavaScript output is, over the
// channel (output below JavaScript is attributed on a best-effort basis there, see docs/authoring.md).
checkIsolation(1, ["stdout", "console", "stderr", "fd", "child"]);
checkIsolation(4, ["stdout", "console"]);
