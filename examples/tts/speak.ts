/** Runs espeak-ng (installed from Debian by `build.system_packages`) to turn text into a WAV file. */
import { spawn } from "node:child_process";

export interface SpeakOptions {
  /** An espeak-ng voice, e.g. `en-us`; a `+variant` suffix picks a voice variant, e.g. `en-us+f3`. */
  voice: string;
  /** Words per minute. */
  speed: number;
  /** 0-99, 50 is the voice's normal pitch. */
  pitch: number;
}

/** Speaks `text` into the WAV file `output`. The text goes through stdin, so no text is ever parsed as a flag. */
export function speak(text: string, output: string, options: SpeakOptions, signal?: AbortSignal): Promise<void> {
  const args = ["-v", options.voice, "-s", String(options.speed), "-p", String(options.pitch), "-w", output, "--stdin"];
  return new Promise((resolve, reject) => {
    const child = spawn("espeak-ng", args, { stdio: ["pipe", "inherit", "pipe"], signal });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? new Error("espeak-ng is not installed: add it to build.system_packages (or apt-get install espeak-ng)")
          : error,
      );
    });
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`espeak-ng exited with code ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(text);
  });
}
