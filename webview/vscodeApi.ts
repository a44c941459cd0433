/** The webview's side of the contract: typed `postMessage` and state. */
import type { MessageFromWebview, PanelState } from '../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: MessageFromWebview): void;
  getState(): unknown;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

export function vscode(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export function post(message: MessageFromWebview): void {
  vscode().postMessage(message);
}

export function logToHost(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'log', level, message: message.slice(0, 2000) });
}
