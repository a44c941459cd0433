/** Tells the user when a run that trained in this window ends, with its result. */
import * as vscode from 'vscode';
import type { RunInfo } from '../../protocol/lsp';
import type { RunState } from '../../protocol/runDir';
import { isRunEnd, runEndNotice } from './runEndText';

export interface RunEndActions {
  openDashboard(dir: string): unknown;
  exportStudent(dir: string): unknown;
  resume(dir: string): unknown;
}

export class RunEndNotifier {
  private readonly states = new Map<string, RunState>();

  /**
   * `announcedElsewhere`: runs whose end another notice covers (a sweep's or a method bench's
   * that this window runs: one notice when the whole job ends, not one per run).
   */
  constructor(
    private readonly actions: RunEndActions,
    private readonly announcedElsewhere: (dir: string) => boolean = () => false,
  ) {}

  /** Feed every `skd/runStatus` (and request answers); the first sight of a run only records it. */
  observe(run: RunInfo): void {
    const before = this.states.get(run.dir);
    this.states.set(run.dir, run.status.state);
    if (!isRunEnd(before, run.status.state) || this.announcedElsewhere(run.dir)) return;
    const notice = runEndNotice(run);
    if (!notice) return;
    if (notice.severity === 'error') {
      void vscode.window.showErrorMessage(notice.text, 'Resume', 'Open Dashboard').then((c) => {
        if (c === 'Resume') void this.actions.resume(run.dir);
        else if (c === 'Open Dashboard') void this.actions.openDashboard(run.dir);
      });
      return;
    }
    void vscode.window.showInformationMessage(notice.text, 'Open Dashboard', 'Export Student...').then((c) => {
      if (c === 'Open Dashboard') void this.actions.openDashboard(run.dir);
      else if (c === 'Export Student...') void this.actions.exportStudent(run.dir);
    });
  }
}
