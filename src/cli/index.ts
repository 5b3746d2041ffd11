/** The `cog` command line: `main(argv)` runs one command and gives its exit code (bin/cog.js calls it). */
export { main } from "./main.js";
