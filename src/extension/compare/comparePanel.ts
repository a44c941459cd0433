/** The comparison of several runs: a table of final metrics and overlaid student curves. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../protocol/runDir';
import { ReadMetricsRequest } from '../../protocol/lsp';
import type { MessageFromWebview } from '../../protocol/webview';
import type { TrainerClient } from '../languageClient/trainerClient';
import type { RunStore } from '../runs/runStore';
import { WebviewHost } from '../webview/webviewHost';
import { compareRunFromEvents } from './compareModel';
import { readFolderContext } from './folderContext';

/** The run's own copy of its experiment (its settings as run); undefined when unreadable. */
async function readExperimentCopy(dir: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, RUN_FILES.experiment), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface CompareDeps {
  trainer: TrainerClient;
  store: RunStore;
  extensionUri: vscode.Uri;
  openDashboard(dir: string): unknown;
}

export class ComparePanel extends WebviewHost {
  constructor(
    panel: vscode.WebviewPanel,
    readonly dirs: readonly string[],
    private readonly deps: CompareDeps,
  ) {
    super(panel, 'compare', deps.extensionUri, deps.trainer.log);
    this.disposer.track(deps.store.onDidChange(() => void this.maybeRefresh()));
  }

  private finishedKey = '';

  protected async onInitialized(): Promise<void> {
    const context = readFolderContext(this.dirs, this.deps.extensionUri.fsPath, (line) => this.log.warn(line));
    const runs = await Promise.all(
      this.dirs.map(async (dir) => {
        const info = this.deps.store.get(dir);
        const experiment = await readExperimentCopy(dir);
        try {
          const { events } = await this.deps.trainer.request(ReadMetricsRequest.type, { dir, from: 0 });
          return compareRunFromEvents(info, dir, events, experiment);
        } catch (err) {
          this.log.warn(`compare: could not read ${dir}: ${String(err)}`);
          return compareRunFromEvents(info, dir, [], experiment);
        }
      }),
    );
    const { sweep, groupOf } = await context;
    runs.forEach((r, i) => {
      const group = groupOf.get(path.resolve(this.dirs[i] as string));
      if (group) r.group = group;
    });
    this.finishedKey = this.key();
    await this.post({ type: 'compare/init', runs, dirs: [...this.dirs], ...(sweep ? { sweep } : {}) });
  }

  private key(): string {
    return this.dirs.map((d) => this.deps.store.get(d)?.status.state ?? '?').join(',');
  }

  /** When a compared run finishes, send the table again (rare: once per state change). */
  private async maybeRefresh(): Promise<void> {
    if (!this.isReady || this.key() === this.finishedKey) return;
    await this.onInitialized();
  }

  protected async onMessage(message: Exclude<MessageFromWebview, { type: 'initialized' | 'log' }>): Promise<void> {
    if (message.type !== 'openRun') {
      this.log.warn(`Ignored ${message.type} from the comparison (it acts on no single run).`);
      return;
    }
    const dir = this.dirs[message.index];
    if (dir === undefined) {
      this.log.warn(`Ignored openRun ${message.index}: the comparison has ${this.dirs.length} runs.`);
      return;
    }
    this.deps.openDashboard(dir);
  }
}
