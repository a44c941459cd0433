import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, renderWebviewHtml } from '../../../src/extension/webview/html';

const params = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'abcDEF123_-xyz',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard.css',
};

test('html: strict CSP with the nonce, nothing from the network', () => {
  const html = renderWebviewHtml({ ...params, view: 'dashboard', title: 'SKD: run' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, 'a CSP meta tag');
  assert.equal(csp, contentSecurityPolicy(params.cspSource, params.nonce));
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abcDEF123_-xyz'/);
  assert.match(csp, new RegExp(`style-src ${params.cspSource.replace(/[.+]/g, '\\$&')}(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|http:/);
  // Every script carries the nonce and loads from the bundle.
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
  assert.equal(scripts.length, 1);
  assert.match(scripts[0] ?? '', /nonce="abcDEF123_-xyz"/);
  assert.match(scripts[0] ?? '', /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"/);
});

test('html: no inline handlers, inline styles or inline scripts', () => {
  for (const view of ['dashboard', 'compare'] as const) {
    const html = renderWebviewHtml({ ...params, view, title: 'T' });
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no on* attributes');
    assert.doesNotMatch(html, /\sstyle\s*=/i, 'no style attributes');
    assert.doesNotMatch(html, /<style/i, 'no style elements');
    assert.doesNotMatch(html, /javascript:/i);
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, 'no inline script bodies');
  }
});

test('html: the elements the page and the end-to-end tests use', () => {
  const dash = renderWebviewHtml({ ...params, view: 'dashboard', title: 'T' });
  for (const id of ['chart-loss', 'chart-accuracy', 'chart-terms', 'chart-tbt', 'chart-tet']) {
    assert.match(dash, new RegExp(`<canvas id="${id}" data-points="0"`), id);
  }
  assert.match(dash, /<ol id="stage-timeline"/);
  assert.match(dash, /<body data-view="dashboard">/);
  const cmp = renderWebviewHtml({ ...params, view: 'compare', title: 'T' });
  assert.match(cmp, /<table id="compare-table"/);
  assert.match(cmp, /<canvas id="chart-compare" data-points="0"/);
  assert.match(cmp, /<body data-view="compare">/);
});

test('html: the title is escaped', () => {
  const html = renderWebviewHtml({ ...params, view: 'dashboard', title: '<img src=x onerror=alert(1)>' });
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
});

test('html: nonces are fresh and CSP-safe', () => {
  const a = createNonce();
  const b = createNonce();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
});
