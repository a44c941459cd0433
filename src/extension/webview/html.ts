/**
 * The HTML of SKD Lab's webviews: a strict Content-Security-Policy with a per-render nonce
 * (webview-sample), the bundled script and the stylesheet from `dist/` and `media/`, and a
 * static skeleton whose element ids the script and the end-to-end tests rely on. Pure: no
 * `vscode`, so unit tests check the policy and that nothing inline can run.
 */
import { randomBytes } from 'node:crypto';
import type { ViewKind } from '../../protocol/webview';

export interface HtmlParams {
  view: ViewKind;
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)` as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(media/dashboard.css)` as a string. */
  styleUri: string;
  title: string;
}

/** 128 random bits, base64url (letters, digits, '-', '_'): valid in a CSP nonce source. */
export function createNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function chart(id: string, caption: string, help: string): string {
  return `<figure class="panel">
        <figcaption>${caption}<span class="help">${help}</span></figcaption>
        <div class="chart-box"><canvas id="${id}" data-points="0" role="img" aria-label="${caption}"></canvas></div>
      </figure>`;
}

function dashboardBody(title: string): string {
  return `<header class="run-header">
    <div class="run-title">
      <h1 id="run-title">${escapeHtml(title)}</h1>
      <span id="run-status" class="badge" data-state="unknown">loading</span>
      <span id="run-progress" class="muted"></span>
    </div>
    <div class="actions">
      <button id="btn-stop" type="button" class="secondary" disabled>Stop</button>
      <button id="btn-resume" type="button" class="secondary" disabled>Resume</button>
      <button id="btn-export" type="button" disabled>Export Student…</button>
    </div>
  </header>
  <section id="summary" class="summary" aria-label="Summary">
    <dl>
      <div><dt>Teacher test accuracy</dt><dd id="summary-teacher-acc">–</dd></div>
      <div><dt>Student test accuracy</dt><dd id="summary-student-acc">–</dd></div>
      <div><dt>Teacher parameters</dt><dd id="summary-teacher-params">–</dd></div>
      <div><dt>Student parameters</dt><dd id="summary-student-params">–</dd></div>
      <div><dt>Method</dt><dd id="summary-method">–</dd></div>
      <div><dt>Backend</dt><dd id="summary-backend">–</dd></div>
      <div><dt>Data</dt><dd id="summary-data">–</dd></div>
      <div><dt>Time</dt><dd id="summary-time">–</dd></div>
    </dl>
    <p id="summary-gain" class="gain" hidden></p>
  </section>
  <section class="grid">
      ${chart('chart-loss', 'Loss', 'per batch (thin) and per epoch, teacher, student alone and student')}
      ${chart('chart-accuracy', 'Accuracy', 'train and validation per epoch')}
      ${chart('chart-terms', 'Loss terms', 'student, mean per epoch')}
      ${chart('chart-tbt', 'TBT behaviour prediction', 'NMSE (left) and cosine (right) per stage and tapped layer')}
      ${chart('chart-tet', 'TET experience', 'accuracy, ECE, entropy, KL to teacher per stage')}
  </section>
  <section class="timeline-section">
    <h2>Stages</h2>
    <ol id="stage-timeline" class="timeline"></ol>
  </section>
  <section class="log-section">
    <h2>Messages</h2>
    <ul id="run-log" class="log"></ul>
  </section>`;
}

function compareBody(): string {
  return `<header class="run-header"><div class="run-title"><h1>Compare runs</h1><span id="compare-count" class="muted"></span></div></header>
  <section>
    <table id="compare-table" class="compare-table">
      <thead><tr>
        <th scope="col">Run</th><th scope="col">Method</th><th scope="col">Status</th>
        <th scope="col" class="num">Teacher acc.</th><th scope="col" class="num">Student acc.</th>
        <th scope="col" class="num">Student params</th><th scope="col" class="num">Time</th><th scope="col">Backend</th>
      </tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="grid single">
      ${chart('chart-compare', 'Student validation accuracy', 'per epoch, all runs overlaid')}
  </section>
  <section id="group-chart" class="grid single" hidden>
      ${chart('chart-groups', 'Student test accuracy by group', 'mean ± std of the runs the filter shows, per group')}
  </section>`;
}

export function renderWebviewHtml(p: HtmlParams): string {
  const body = p.view === 'dashboard' ? dashboardBody(p.title) : compareBody();
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(p.cspSource, p.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeHtml(p.styleUri)}">
  <title>${escapeHtml(p.title)}</title>
</head>
<body data-view="${p.view}">
  ${body}
  <script nonce="${p.nonce}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>`;
}
