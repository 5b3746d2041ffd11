/** `cog init`: the starter project's files, written where they are missing (project.ts), from templates.ts. */
export { type InitFile, type InitResult, initProject } from "./project.js";
