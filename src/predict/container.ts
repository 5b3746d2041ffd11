/** Waiting for the predictor in a container of the image (`cog run`, `cog serve`): the poller of ready.ts, with the container's logs. */
import type Docker from "dockerode";
import { UserError } from "../errors.js";
import { waitUntilReady } from "./ready.js";

/** Resolves once the model in `container` is ready at `url`; fails with the container's logs when it exits or its setup fails. */
export async function waitForContainer(url: string, container: Docker.Container, timeoutMs = 0): Promise<void> {
  // Lazy, so that predict/index.ts stays light for `--no-docker` callers; whoever has a container loaded the engine.
  const { containerLogs } = await import("../docker/index.js");
  await waitUntilReady(url, {
    timeoutMs,
    intervalMs: 200,
    ended: async () => {
      const state = await container.inspect().then(
        (info) => info.State,
        () => undefined,
      );
      if (state?.Running) return undefined;
      const logs = (await containerLogs(container)).split("\n").filter(Boolean);
      return new UserError(
        `The model container exited (code ${state?.ExitCode ?? "unknown"}) before it was ready:`,
        logs,
      );
    },
    errors: {
      failed: (status, logs) =>
        new UserError(`The model's setup failed (${status}):`, logs.split("\n").filter(Boolean)),
      timedOut: (timeoutMs) => new UserError(`The model was not ready within ${timeoutMs / 1000} s.`),
    },
  });
}
