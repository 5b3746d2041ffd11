/** Opening the page in the user's browser, best effort, and never where no one could see it. */
import { spawn } from "node:child_process";

/** Whether a browser could be shown: not in CI, and on Linux only with a display. */
export function canOpenBrowser(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (env.CI) return false;
  if (platform === "linux" || platform === "freebsd" || platform === "openbsd")
    return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  return platform === "darwin" || platform === "win32";
}

/** Returns whether an opener was started; its failure is ignored (the URL is printed anyway). */
export function openBrowser(url: string): boolean {
  if (!canOpenBrowser()) return false;
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
