/**
 * An error in what the user gave us (an experiment file, a data file, a run directory).
 * Its message is one line that names the file and, where there is one, the field; the
 * command line prints it as is and exits non-zero.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${reason}`);
    this.name = 'InputError';
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
