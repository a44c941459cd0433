/**
 * The webview bundle (dist/webview.js): one script for both pages, picked by `body[data-view]`.
 * It validates what the host sends, then posts `initialized` (the handshake) so the host sends
 * the data.
 */
import { isMessageToWebview } from '../src/protocol/webview';
import { ComparePage } from './compare';
import { DashboardPage } from './dashboard';
import { logToHost, post } from './vscodeApi';

function start(): void {
  const view = document.body.dataset.view;
  let page: DashboardPage | ComparePage;
  try {
    page = view === 'compare' ? new ComparePage() : new DashboardPage();
  } catch (err) {
    logToHost('error', `webview start: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = event.data;
    if (!isMessageToWebview(message)) {
      logToHost('warn', `webview ignored an unknown message: ${String((message as { type?: unknown } | null)?.type)}`);
      return;
    }
    page.handle(message);
  });
  post({ type: 'initialized' });
}

start();
