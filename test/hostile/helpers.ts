/** The hostile suite's servers: started as the server tests start them, with room for a loaded machine's setup. */
import { startServer, type RunningServer, type StartOptions } from "../server/helpers.js";

export async function startReady(fixture: string, options: StartOptions = {}): Promise<RunningServer> {
  const server = await startServer(fixture, { ...options, waitFor: null });
  try {
    await server.waitFor("READY", 120_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
