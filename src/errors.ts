/**
 * Errors the CLI knows how to report. Every failure a user can cause is a `UserError` (exit 1);
 * a malformed command line is a `UsageError` (exit 2). Anything else is a bug and is printed with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number = 1;
  /** One line per problem, each already formatted as `file:line:col: what is wrong (how to fix)`. */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(message);
    this.name = "UserError";
    this.problems = problems;
  }
}

export class UsageError extends UserError {
  override readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
