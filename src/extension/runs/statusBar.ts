/** A status-bar item for the active run: name, stage, epoch and progress; opens its dashboard. */
import * as vscode from 'vscode';
import { Commands, ContextKeys } from '../constants';
import { Disposer } from '../util/disposable';
import type { RunStore } from './runStore';
import { pickActiveRun, statusBarContent } from './statusBarText';

export class RunStatusBar implements vscode.Disposable {
  private readonly disposer = new Disposer();
  private readonly item = this.disposer.track(vscode.window.createStatusBarItem('skdLab.activeRun', vscode.StatusBarAlignment.Left, 50));
  private lastText = '';

  constructor(private readonly store: RunStore) {
    this.item.name = 'SKD Lab: active run';
    this.disposer.track(store.onDidChange(() => this.update()));
    this.update();
  }

  private update(): void {
    const active = this.store.active();
    const run = pickActiveRun(active);
    void vscode.commands.executeCommand('setContext', ContextKeys.hasActiveRun, run !== undefined);
    if (!run) {
      this.item.hide();
      this.lastText = '';
      return;
    }
    const content = statusBarContent(run, this.store.liveOf(run.dir), active.length);
    if (content.text !== this.lastText) {
      this.item.text = content.text;
      this.item.tooltip = content.tooltip;
      this.item.command = { command: Commands.openDashboard, title: 'Open Dashboard', arguments: [run.dir] };
      this.lastText = content.text;
    }
    this.item.show();
  }

  dispose(): void {
    this.disposer.dispose();
  }
}
