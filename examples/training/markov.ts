/**
 * A word-level n-gram language model: counts of which token follows each context of up to `order` tokens, sampled
 * with a temperature and backing off to shorter contexts for unseen ones. Small, deterministic for a seed, and
 * trained in milliseconds, which is all a streaming demo needs.
 */

export interface MarkovModel {
  /** Longest context, in tokens. */
  order: number;
  /** Every token, indexed by the numbers used in `next`. */
  tokens: string[];
  /** Context (token indexes joined by spaces; "" for none) -> [next token index, count] pairs. */
  next: Record<string, [number, number][]>;
}

/** Sentence-final punctuation: generation without a prompt starts after one of these. */
const SENTENCE_END = new Set([".", "!", "?"]);
const NO_SPACE_BEFORE = new Set([".", ",", ";", ":", "!", "?"]);

/** Words (with inner apostrophes and hyphens), numbers, and punctuation marks, in order. */
export function tokenize(text: string): string[] {
  return text.match(/[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*|--|[.,;:!?]/g) ?? [];
}

/** The text of `token` as it follows `previous`: a leading space unless it is punctuation or the first token. */
export function spaced(token: string, previous: string | undefined): string {
  return previous === undefined || NO_SPACE_BEFORE.has(token) ? token : ` ${token}`;
}

export function trainModel(text: string, order = 2): MarkovModel {
  if (!Number.isInteger(order) || order < 1 || order > 5) throw new Error(`order must be 1 to 5, got ${order}`);
  const words = tokenize(text);
  if (words.length < 2) throw new Error("the training text needs at least two words");
  const index = new Map<string, number>();
  const ids = words.map((word) => {
    let id = index.get(word);
    if (id === undefined) index.set(word, (id = index.size));
    return id;
  });
  const counts = new Map<string, Map<number, number>>();
  for (let i = 0; i < ids.length; i++) {
    for (let n = 0; n <= order && n <= i; n++) {
      const context = ids.slice(i - n, i).join(" ");
      let followers = counts.get(context);
      if (!followers) counts.set(context, (followers = new Map()));
      followers.set(ids[i]!, (followers.get(ids[i]!) ?? 0) + 1);
    }
  }
  const next: Record<string, [number, number][]> = {};
  for (const [context, followers] of counts) next[context] = [...followers];
  return { order, tokens: [...index.keys()], next };
}

/** Checks the shape of a model read from a file, so a bad weights file fails with a reason, not a crash later. */
export function parseModel(json: string): MarkovModel {
  const model = JSON.parse(json) as Partial<MarkovModel>;
  if (
    typeof model !== "object" || model === null ||
    !Number.isInteger(model.order) || !Array.isArray(model.tokens) ||
    typeof model.next !== "object" || model.next === null || !Array.isArray(model.next[""])
  ) {
    throw new Error("not a Markov model file: expected {order, tokens, next} as written by trainModel()");
  }
  return model as MarkovModel;
}

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same text on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  prompt: string;
  maxTokens: number;
  /** Above 0. Lower is more predictable (1: the counts as they are; near 0: always the most frequent token). */
  temperature: number;
  seed: number;
}

/** Yields tokens one at a time, each with the spacing it needs to follow the previous one. */
export function* generate(model: MarkovModel, options: GenerateOptions): Generator<string> {
  const random = seededRandom(options.seed);
  const lookup = new Map(model.tokens.map((token, id) => [token, id]));
  const history: number[] = [];
  // Context from the prompt's last known words; without a prompt, start where a sentence starts.
  for (const word of tokenize(options.prompt)) {
    const id = lookup.get(word);
    if (id !== undefined) history.push(id);
  }
  let previous = tokenize(options.prompt).at(-1);
  if (history.length === 0) {
    const ends = [...SENTENCE_END].map((mark) => lookup.get(mark)).filter((id) => id !== undefined);
    if (ends.length > 0) history.push(ends[0]!);
  }
  for (let produced = 0; produced < options.maxTokens; produced++) {
    const followers = candidates(model, history);
    const id = sample(followers, options.temperature, random);
    const token = model.tokens[id]!;
    yield spaced(token, previous);
    previous = token;
    history.push(id);
    if (history.length > model.order) history.shift();
  }
}

function candidates(model: MarkovModel, history: number[]): [number, number][] {
  for (let n = Math.min(model.order, history.length); n > 0; n--) {
    const followers = model.next[history.slice(history.length - n).join(" ")];
    if (followers) return followers;
  }
  return model.next[""]!;
}

function sample(followers: [number, number][], temperature: number, random: () => number): number {
  const weights = followers.map(([, count]) => Math.pow(count, 1 / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let pick = random() * total;
  for (let i = 0; i < followers.length; i++) {
    pick -= weights[i]!;
    if (pick < 0) return followers[i]![0];
  }
  return followers.at(-1)![0];
}
