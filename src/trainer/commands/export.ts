import { selectBackend } from '../backend/select';
import { deviceCommand, exportCommand } from './exportCli';

/**
 * `skd export` and `skd device`. Exporting runs the student over the test set to verify the
 * written file, so it picks the fastest backend first, as a run does.
 */
export async function exportCommands(command: 'export' | 'device', argv: string[]): Promise<number> {
  if (command === 'device') return deviceCommand(argv);
  await selectBackend((process.env.SKD_BACKEND as Parameters<typeof selectBackend>[0]) ?? 'auto');
  return exportCommand(argv);
}
