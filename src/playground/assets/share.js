// The current inputs as a request someone can run: curl, `cog run -i …`, and JavaScript fetch.
const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

export function curlCommand(target, input) {
  return `curl -s -X POST -H 'Content-Type: application/json' \\\n  -d ${quote(JSON.stringify({ input }))} \\\n  ${target}/predictions`;
}

/** `kinds`: field name → control kind; file inputs become @FILE (their picked name, or a URL as it is). */
export function cogRunCommand(input, kinds, names = () => []) {
  const parts = ["cog run"];
  for (const [name, value] of Object.entries(input)) {
    const kind = kinds.get(name);
    if (kind === "file" && typeof value === "string" && value.startsWith("data:"))
      parts.push(`-i ${quote(`${name}=@${names(name)[0] ?? "FILE"}`)}`);
    else if (kind === "files" && Array.isArray(value) && value.some((v) => v.startsWith("data:"))) {
      const files = names(name);
      parts.push(
        `-i ${quote(`${name}=${JSON.stringify(value.map((v, i) => (v.startsWith("data:") ? `@${files[i] ?? `FILE${i}`}` : v)))}`)}`,
      );
    } else parts.push(`-i ${quote(`${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)}`);
  }
  return parts.join(" \\\n  ");
}

export function fetchSnippet(target, input) {
  return `const response = await fetch(${JSON.stringify(`${target}/predictions`)}, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(${JSON.stringify({ input }, null, 2).replace(/\n/g, "\n  ")}),
});
const prediction = await response.json();
console.log(prediction.status, prediction.output);`;
}
