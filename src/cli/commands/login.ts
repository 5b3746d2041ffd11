import { defineCommand } from "../command.js";
import { UsageError } from "../../errors.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Reads one line from the terminal; with `hidden`, nothing typed is echoed. */
async function prompt(question: string, hidden: boolean, out: NodeJS.WritableStream): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError("No terminal to ask on: pass the secret on stdin with --token-stdin or --password-stdin.");
  }
  const { createInterface } = await import("node:readline");
  const { Writable } = await import("node:stream");
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) out.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = hidden;
    });
  } finally {
    rl.close();
    if (hidden) out.write("\n");
  }
}

export const loginCommand = defineCommand({
  name: "login",
  summary: "Log in to a container registry",
  usage: "cog login [REGISTRY] [flags]",
  description: [
    "Log in to a container registry (default r8.im, or COG_REGISTRY_HOST).",
    "",
    "Registries that serve Replicate's token login (/cog/v1/display-token-url) ask for the token shown on",
    "their token page; others ask for a username and password, checked against the registry before saving.",
    "Credentials are saved through docker's configured credential helper, else in $DOCKER_CONFIG/config.json",
    "(default ~/.docker) with mode 0600.",
  ].join("\n"),
  options: {
    "token-stdin": { type: "boolean", description: "Read the login token from stdin (token login)" },
    username: { type: "string", short: "u", valueName: "USER", description: "Username (password login)" },
    "password-stdin": { type: "boolean", description: "Read the password from stdin (password login)" },
    registry: { type: "string", valueName: "HOST", description: "Registry host (same as the REGISTRY argument)" },
  },
  positionals: { max: 1, name: "REGISTRY" },
  async run(ctx) {
    const { login } = await import("../../registry/index.js");
    const { defaultRegistryHost } = await import("../../registry/index.js");
    const registry = (ctx.positionals[0] ?? ctx.options.registry ?? defaultRegistryHost())
      .replace(/^https?:\/\//, "")
      .replace(/\/+$/, "");
    if (ctx.options["token-stdin"] && ctx.options["password-stdin"])
      throw new UsageError("Use --token-stdin or --password-stdin, not both.");
    const { username } = ctx.options;
    if (ctx.options["password-stdin"] && !username) throw new UsageError("--password-stdin needs --username.");
    const token = ctx.options["token-stdin"] ? await readStdin() : undefined;
    const password = ctx.options["password-stdin"] ? await readStdin() : undefined;
    const result = await login({
      registry,
      token,
      username,
      password,
      prompts: {
        token: async (url) => {
          ctx.stderr.write(
            `This command will authenticate Docker with ${registry}.\nGet your login token from ${url}\n`,
          );
          return prompt("CLI auth token: ", true, ctx.stderr);
        },
        username: () => prompt("Username: ", false, ctx.stderr),
        password: () => prompt("Password: ", true, ctx.stderr),
      },
    });
    const where = "helper" in result.saved ? `through ${result.saved.helper}` : `in ${result.saved.file}`;
    ctx.stdout.write(
      `You've successfully authenticated as ${result.username} on ${registry}! Credentials saved ${where}.\n`,
    );
    return 0;
  },
});
