/**
 * How a long `skd` command (a sweep, a methods bench) ended, from its exit code (src/trainer/cli.ts:
 * 0 done, 1 a run failed, 2 bad input, 3 stopped and resumable), as a notification's level and
 * text. Pure, unit-tested; each command says in its own words what the user can do next.
 */
export interface Outcome {
  level: 'info' | 'warn' | 'error';
  text: string;
}

export function exitOutcome(code: number | null, say: { done: string; failed: string; refused: string; stopped: string }): Outcome {
  switch (code) {
    case 0:
      return { level: 'info', text: say.done };
    case 1:
      return { level: 'warn', text: say.failed };
    case 2:
      return { level: 'error', text: say.refused };
    case 3:
      return { level: 'info', text: say.stopped };
    default:
      return { level: 'error', text: `ended with exit code ${code ?? 'none (killed)'}` };
  }
}
