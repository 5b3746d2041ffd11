/**
 * A model project and its image: the project (config + directory, loaded once per command), the Dockerfile it
 * needs, the `.cog/build` build kit, the TypeScript transpiled for the image, Cog's labels, and the engine build.
 *
 *   const project = await loadProject(process.cwd(), "cog.yaml");
 *   const built = await buildModel({ project, out: process.stderr });
 */
export { type Project, findProject, loadProject } from "./project.js";
export {
  type PrepareRequest,
  type PreparedBuild,
  baseImageMirror,
  extraCaCertificates,
  prepareBuild,
  refuseUnresolvableImports,
} from "./prepare.js";
export { type BuildRequest, type BuiltImage, buildModel } from "./build.js";
export { imageLabels, modelBaseName } from "./labels.js";
export { type BuildDirContents, checkStagingArea, prepareBuildDir } from "./stage.js";
export { transpileProject } from "./transpile.js";
