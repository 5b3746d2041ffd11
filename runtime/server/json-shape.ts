/**
 * The shape of a JSON text, measured on its bytes before it is parsed: how deeply it nests and how many values it
 * holds. A body's parsed value can take far more memory than its text (an empty object takes 2 bytes of text and
 * 64 of heap; 10 M of them, 30 MB of body, took 640 MB), and a walk over the parsed value to measure its depth
 * kept bookkeeping for every value. This pass keeps a few counters and one byte per level.
 *
 *   checkJsonShape(Buffer.from('{"input": [[1]]}')); // undefined: within the limits
 */

/** Deeper JSON is refused: serialising it again would overflow the stack. */
const MAX_NESTING = 512;
/** Array items and object members, all levels together. */
export const MAX_VALUES = 4_000_000;
/** Objects and arrays, the values that cost most once parsed. */
const MAX_CONTAINERS = 1_000_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * What is wrong with the shape of `bytes` (a message for a 422 or 413), or undefined. Malformed JSON is left to
 * JSON.parse to report. UTF-8 is scanned as bytes: no byte of a multi-byte character is ASCII.
 */
export function checkJsonShape(bytes: Uint8Array): { status: 413 | 422; message: string } | undefined {
  // One byte per open level: 1 for an array, 2 for an object.
  const stack = new Uint8Array(MAX_NESTING + 1);
  let depth = 0;
  let values = 1;
  let containers = 0;
  /** Just after `[`: the next value, if any, is the array's first item. */
  let firstItem = false;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    if (isSpace(byte)) continue;
    if (firstItem && byte !== CLOSE_ARRAY) values++;
    firstItem = false;
    switch (byte) {
      case QUOTE: {
        // Skip the string: find its closing quote, one not escaped by an odd run of backslashes.
        let end = i;
        for (;;) {
          end = bytes.indexOf(QUOTE, end + 1);
          if (end < 0) return undefined;
          let slashes = 0;
          while (bytes[end - 1 - slashes] === BACKSLASH) slashes++;
          if (slashes % 2 === 0) break;
        }
        i = end;
        break;
      }
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        if (depth === MAX_NESTING)
          return { status: 422, message: `the request body is nested deeper than ${MAX_NESTING} levels` };
        stack[depth++] = byte === OPEN_ARRAY ? 1 : 2;
        if (++containers > MAX_CONTAINERS) {
          return { status: 413, message: `the request body holds more than ${MAX_CONTAINERS} JSON objects and arrays` };
        }
        firstItem = byte === OPEN_ARRAY;
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        if (depth > 0) depth--;
        break;
      case COMMA:
        if (depth > 0 && stack[depth - 1] === 1 && ++values > MAX_VALUES) return tooManyValues();
        break;
      case COLON:
        if (++values > MAX_VALUES) return tooManyValues();
        break;
    }
  }
  return undefined;
}

function tooManyValues(): { status: 413; message: string } {
  return {
    status: 413,
    message: `the request body holds more than ${MAX_VALUES} JSON values (array items and object members)`,
  };
}
