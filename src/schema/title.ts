/**
 * The `title` of an input or output property, derived from its name as Cog does: split on `_` and capitalise each
 * part (`api_key` → "Api Key"). Cog users write snake_case; a TypeScript author often writes camelCase, and a form
 * titled "ApiKey" is not what anyone expects, so camelCase boundaries split too (`apiKey` → "Api Key",
 * `imageURL` → "Image URL"). For snake_case names the result is exactly Cog's.
 */
export function titleCase(name: string): string {
  return name
    .split("_")
    .flatMap((part) =>
      part
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
        .split(" "),
    )
    .filter((word) => word.length > 0)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}
