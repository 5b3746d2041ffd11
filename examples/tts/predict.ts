import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BasePredictor, Input, Path, type Int } from "cogts";
import { speak } from "./speak.js";

/** Reads text aloud with the espeak-ng formant synthesizer. */
export class Predictor extends BasePredictor {
  /** Speak the text and return it as a WAV file */
  async predict(
    text: string = Input({ description: "Text to speak", minLength: 1, maxLength: 5000 }),
    voice: string = Input({
      description: "Voice (language and accent); add a variant with +, e.g. en-us+f3",
      default: "en-us",
      choices: ["en-us", "en-gb", "en-us+f3", "fr-fr", "de", "es", "it"],
    }),
    speed: Int = Input({ description: "Speed in words per minute", default: 175, ge: 80, le: 450 }),
    pitch: Int = Input({ description: "Pitch, 0-99 (50 is the voice's normal pitch)", default: 50, ge: 0, le: 99 }),
  ): Promise<Path> {
    const output = join(await mkdtemp(join(tmpdir(), "tts-")), "speech.wav");
    await speak(text, output, { voice, speed, pitch }, this.signal);
    return new Path(output);
  }
}
