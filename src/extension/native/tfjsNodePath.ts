/** The `skdLab.tfjsNodePath` setting and the environment it gives the trainer. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TFJS_NODE_PATH_ENV, TFJS_NODE_PATH_SETTING } from '../../protocol/nativeBackend';
import { CONFIG_SECTION } from '../constants';

export const TFJS_NODE_PATH_KEY = `${CONFIG_SECTION}.${TFJS_NODE_PATH_SETTING}`;

/**
 * The folder, or '' for none. Loading native code from it runs that code, so only the user's own
 * (global) value counts (the manifest scopes the setting to the machine, too).
 */
export function tfjsNodePath(): string {
  const value = vscode.workspace.getConfiguration(CONFIG_SECTION).inspect<string>(TFJS_NODE_PATH_SETTING)?.globalValue;
  return typeof value === 'string' ? value.trim() : '';
}

/** What the trainer's environment gains: the folder, for the trainer and each run it starts. */
export function tfjsNodeEnv(folder: string = tfjsNodePath()): Record<string, string> {
  return folder ? { [TFJS_NODE_PATH_ENV]: path.resolve(folder) } : {};
}
