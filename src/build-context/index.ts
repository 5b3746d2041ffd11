/** The build context: which files of a project reach the image build (`.dockerignore`, scratch left out), and its tar stream. */
export { contextIgnorer, contextStream } from "./context.js";
