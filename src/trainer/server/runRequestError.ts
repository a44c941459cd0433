/** A request the run manager refuses: untrusted workspace, unknown run, bad parameters. */
export class RunRequestError extends Error {
  override readonly name = 'RunRequestError';
}
