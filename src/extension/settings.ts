/** The `skdLab.*` settings, read with workspace trust in mind. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainerSettings } from '../protocol/lsp';
import { CONFIG_SECTION } from './constants';

export type BackendSetting = 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
const BACKENDS: readonly BackendSetting[] = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'];

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION);
}

/**
 * The Node executable for the trainer, or '' for the editor's own. An untrusted workspace
 * cannot choose an executable: only the user's own (global) setting counts there (the manifest
 * also lists it under `restrictedConfigurations`).
 */
export function nodePath(): string {
  const inspected = config().inspect<string>('nodePath');
  const value = vscode.workspace.isTrusted ? config().get<string>('nodePath') : inspected?.globalValue;
  return typeof value === 'string' ? value.trim() : '';
}

export function concurrentRuns(): number {
  const n = config().get<number>('concurrentRuns', 1);
  return Number.isFinite(n) ? Math.max(1, Math.min(64, Math.floor(n))) : 1;
}

export function backend(): BackendSetting {
  const b = config().get<string>('backend', 'auto');
  return (BACKENDS as readonly string[]).includes(b) ? (b as BackendSetting) : 'auto';
}

/** The address to serve a student on; '' for the machine's LAN address. */
export function serveHost(): string {
  return (config().get<string>('device.serveHost', '') ?? '').trim();
}

export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The runs folder, absolute: the setting resolved against the first workspace folder. */
export function runsFolder(): string | undefined {
  const value = config().get<string>('runsFolder', 'runs') || 'runs';
  if (path.isAbsolute(value)) return path.normalize(value);
  const root = workspaceRoot();
  return root ? path.join(root, value) : undefined;
}

export function trainerSettings(pluginModules: readonly string[]): TrainerSettings {
  const trusted = vscode.workspace.isTrusted;
  return {
    nodePath: nodePath(),
    concurrentRuns: concurrentRuns(),
    trusted,
    // No plugin module is loaded in an untrusted workspace.
    pluginModules: trusted ? [...pluginModules] : [],
  };
}
