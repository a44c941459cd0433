/** The comparison of several runs: a table of final metrics and overlaid student curves. */
import * as vscode from 'vscode';
import { ReadMetricsRequest } from '../../protocol/lsp';
import type { MessageFromWebview } from '../../protocol/webview';
import type { TrainerClient } from '../languageClient/trainerClient';
import type { RunStore } from '../runs/runStore';
import { WebviewHost } from '../webview/webviewHost';
import { compareRunFromEvents } from './compareModel';

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
    const runs = await Promise.all(
      this.dirs.map(async (dir) => {
        const info = this.deps.store.get(dir);
        try {
          const { events } = await this.deps.trainer.request(ReadMetricsRequest.type, { dir, from: 0 });
          return compareRunFromEvents(info, dir, events);
        } catch (err) {
          this.log.warn(`compare: could not read ${dir}: ${String(err)}`);
          return compareRunFromEvents(info, dir, []);
        }
      }),
    );
    this.finishedKey = this.key();
    await this.post({ type: 'compare/init', runs, dirs: [...this.dirs] });
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
