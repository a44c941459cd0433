/**
 * The host side of one webview panel: its options and HTML, the `initialized` handshake
 * (vscode-dvc's `BaseWebview`), and the one entry point where messages from the webview are
 * validated; invalid ones are logged and ignored, never acted on.
 */
import * as vscode from 'vscode';
import {
  isMessageFromWebview,
  type MessageFromWebview,
  type MessageToWebview,
  type ViewKind,
} from '../../protocol/webview';
import { Disposer } from '../util/disposable';
import { createNonce, renderWebviewHtml } from './html';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export abstract class WebviewHost implements vscode.Disposable {
  protected readonly disposer = new Disposer();
  private ready = false;
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly view: ViewKind,
    protected readonly extensionUri: vscode.Uri,
    protected readonly log: vscode.LogOutputChannel,
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    webview.html = renderWebviewHtml({
      view,
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css')).toString(),
      title: panel.title,
    });
    this.disposer.track(webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this.disposer.track(panel.onDidDispose(() => this.dispose()));
  }

  get isReady(): boolean {
    return this.ready;
  }

  private receive(raw: unknown): void {
    if (!isMessageFromWebview(raw)) {
      this.log.warn(`Ignored a message from the ${this.view} webview that does not match the contract: ${preview(raw)}`);
      return;
    }
    if (raw.type === 'initialized') {
      // Also after the panel was hidden and shown again: the webview starts over.
      this.ready = true;
      this.onInitialized().catch((err: unknown) => this.log.error(`${this.view}: ${String(err)}`));
      return;
    }
    if (!this.ready) {
      this.log.warn(`Ignored a ${raw.type} message from the ${this.view} webview before it was initialized.`);
      return;
    }
    if (raw.type === 'log') {
      const line = `[${this.view} webview] ${raw.message}`;
      if (raw.level === 'error') this.log.error(line);
      else if (raw.level === 'warn') this.log.warn(line);
      else this.log.info(line);
      return;
    }
    this.onMessage(raw).catch((err: unknown) => this.log.error(`${this.view}: ${String(err)}`));
  }

  /** Posts only after the handshake; earlier messages would be lost. */
  protected async post(message: MessageToWebview): Promise<boolean> {
    if (!this.ready) return false;
    return this.panel.webview.postMessage(message);
  }

  protected abstract onInitialized(): Promise<void>;
  protected abstract onMessage(message: Exclude<MessageFromWebview, { type: 'initialized' | 'log' }>): Promise<void>;

  dispose(): void {
    if (this.disposer.disposed) return;
    this.ready = false;
    this.disposer.dispose();
    this.panel.dispose();
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
  }
}
