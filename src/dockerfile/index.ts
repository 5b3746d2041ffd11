/**
 * The Dockerfile of a model image (Node or Python) and the files beside it in `.cog/build`: what the project holds
 * (project.ts), the image's npm files (npm-manifest.ts), the Python requirements (python-files.ts).
 */
export { BUILD_DIR, generateDockerfile } from "./generate.js";
export { SERVER_COMMAND } from "./lines.js";
export { type ProjectFacts, readProjectFacts } from "./project.js";
export { IMAGE_NPM_DIR, writeImageNpmFiles } from "./npm-manifest.js";
export { isPythonConfig } from "./python.js";
export { pythonRequirementsFor, writePythonBuildFiles } from "./python-files.js";
