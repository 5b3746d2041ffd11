/**
 * The server's own log lines on stderr (docs/spec/cog-contract.md §4.1): JSON objects by default, what log collectors of
 * platforms read; `LOG_FORMAT=console` for people (cog run/serve set it). `COG_LOG_LEVEL` = debug | info |
 * warn (warning) | error, default info. The predictor's output is never routed through here: it is the
 * prediction's logs, or passes through untouched.
 */
type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function thresholdFromEnv(): number {
  const raw = (process.env.COG_LOG_LEVEL ?? "").trim().toLowerCase();
  const level = raw === "warning" ? "warn" : raw;
  return RANK[level as LogLevel] ?? RANK.info;
}

const threshold = thresholdFromEnv();
const consoleFormat = (process.env.LOG_FORMAT ?? "").trim().toLowerCase() === "console";

export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold) return;
  if (consoleFormat) {
    const extra = Object.entries(fields)
      .map(([key, value]) => ` ${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join("");
    process.stderr.write(`cogts: ${level === "info" ? "" : `${level}: `}${message}${extra}\n`);
    return;
  }
  process.stderr.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), level, logger: "cogts.server", message, ...fields })}\n`,
  );
}
