/** The server ↔ worker protocol: the message types (protocol.ts) and the channel that carries them (channel.ts). */
export { MessageChannel } from "./channel.js";
export {
  type FileSlot,
  type FromWorker,
  type ParameterPlan,
  type ToWorker,
  type WorkerOptions,
  outputDirName,
  wellFormed,
} from "./protocol.js";
