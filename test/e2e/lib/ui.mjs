// @ts-check
// Driving the VS Code workbench like a user: the command palette, quick picks, the SKD Lab
// tree, the Problems panel and webviews.

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Frame} Frame */

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value; throws with `what` (and the last value) on timeout.
 * @template T
 * @param {() => Promise<T> | T} fn
 * @param {{ timeout?: number, interval?: number, what?: string }} [o]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(fn, o = {}) {
  const timeout = o.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  /** @type {unknown} */
  let last;
  /** @type {unknown} */
  let lastErr;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      last = v;
      if (v) return /** @type {NonNullable<T>} */ (v);
    } catch (e) {
      lastErr = e;
    }
    await sleep(o.interval ?? 250);
  }
  const detail = lastErr ? ` (last error: ${String(lastErr).split('\n')[0]})` : last !== undefined ? ` (last value: ${JSON.stringify(last)?.slice(0, 300)})` : '';
  throw new Error(`timed out after ${timeout} ms waiting for ${o.what ?? 'a condition'}${detail}`);
}

/** @param {Page} page */
export async function waitForWorkbench(page, timeout = 60_000) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
  await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout });
  // The explorer shows the folder once the remote connection is up.
  await page.locator('.explorer-folders-view, .part.sidebar .pane-body').first().waitFor({ state: 'visible', timeout });
}

/** Closes any open quick input (Escape) and notification toasts. @param {Page} page */
export async function dismissQuickInput(page) {
  const qi = page.locator('.quick-input-widget');
  if (await qi.isVisible().catch(() => false)) {
    await page.keyboard.press('Escape');
    await qi.waitFor({ state: 'hidden', timeout: 3000 }).catch(() => {});
  }
}

/** Labels of the rows of the open quick input. @param {Page} page */
export async function quickInputRows(page) {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => (r.getAttribute('aria-label') || r.textContent || '').trim()),
  );
}

/**
 * Opens the command palette (F1), types `title` and runs the command with Enter.
 * @param {Page} page
 * @param {string} title e.g. "SKD: Run Experiment"
 */
export async function runCommand(page, title, timeout = 15_000) {
  await dismissQuickInput(page);
  const input = page.locator('.quick-input-widget input');
  // While a run trains, the workbench can close a just-opened palette (a run's tree rows and
  // status change under it); open it again rather than wait out the fill's own timeout.
  await waitFor(
    async () => {
      await page.keyboard.press('F1');
      if (!(await input.isVisible({ timeout: 1500 }).catch(() => false))) return false;
      return input.fill(`>${title}`, { timeout: 3000 }).then(
        () => true,
        () => false,
      );
    },
    { timeout, what: 'the command palette (F1)', interval: 500 },
  );
  // Wait until the first row is the command we mean (the palette filters as we type).
  await waitFor(
    async () => {
      const rows = await quickInputRows(page);
      return rows.length > 0 && rows[0].toLowerCase().includes(title.toLowerCase());
    },
    { timeout, what: `the command palette to list "${title}"` },
  );
  await page.keyboard.press('Enter');
  // The palette closes (or is reused by a quick pick the command opens, with a new value).
  await waitFor(
    async () => !(await input.isVisible().catch(() => false)) || !(await input.inputValue().catch(() => '')).startsWith('>'),
    { timeout: 5000, what: `the command palette to close after "${title}"`, interval: 100 },
  );
}

/**
 * Reloads the window as a user does, with "Developer: Reload Window": VS Code then saves the
 * workbench's state (the open editors, webview panels and their state) and waits until it is
 * written before it reloads. A bare `page.reload()` starts that save in the page's unload
 * handler without waiting for it, so an editor opened shortly before can be missing afterwards
 * (seen once on CI: the comparison panel was not restored).
 * @param {Page} page
 */
export async function reloadWindow(page, timeout = 60_000) {
  const title = 'Developer: Reload Window';
  await dismissQuickInput(page);
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  // Exactly this command, not a longer one that contains its title.
  await waitFor(
    async () => {
      const rows = await quickInputRows(page);
      return rows.length > 0 && new RegExp(`^${title}(?![\\w ]*With)`, 'i').test(rows[0]);
    },
    { timeout: 15_000, what: `the command palette to list "${title}" first` },
  );
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout });
  await page.keyboard.press('Enter');
  await navigated;
  await waitForWorkbench(page, timeout);
}

/**
 * Whether the command palette lists a command (without running it).
 * @param {Page} page
 * @param {string} title
 */
export async function paletteLists(page, title, timeout = 15_000) {
  await dismissQuickInput(page);
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(`>${title}`);
  try {
    await waitFor(async () => (await quickInputRows(page)).some((r) => r.toLowerCase().includes(title.toLowerCase())), {
      timeout,
      what: `the command palette to list "${title}"`,
    });
    return true;
  } finally {
    await page.keyboard.press('Escape');
  }
}

/**
 * If a quick pick opens (e.g. "which run?"), picks the first row whose label matches `match`
 * (or the first row), checking every box first for multi-select picks. Returns the rows seen,
 * or null when no quick pick opened within `timeout`.
 * @param {Page} page
 * @param {{ match?: RegExp | string, timeout?: number, all?: boolean }} [o]
 */
export async function answerQuickPick(page, o = {}) {
  const widget = page.locator('.quick-input-widget');
  const opened = await widget.waitFor({ state: 'visible', timeout: o.timeout ?? 3000 }).then(
    () => true,
    () => false,
  );
  if (!opened) return null;
  const matches = (/** @type {string} */ r) => (typeof o.match === 'string' ? r.includes(o.match) : /** @type {RegExp} */ (o.match).test(r));
  // A pick that replaces the palette (or an earlier pick) can show the old rows for a moment:
  // with `match`, wait for a matching row before taking the rows as this pick's.
  /** @type {string[]} */
  let rows = [];
  if (o.match) {
    rows = await waitFor(async () => {
      const r = await quickInputRows(page);
      return r.some(matches) ? r : null;
    }, { timeout: 5000, what: 'a quick pick row matching the answer' }).catch(() => /** @type {string[]} */ ([]));
  }
  if (rows.length === 0) {
    rows = await waitFor(async () => {
      const r = await quickInputRows(page);
      return r.length > 0 ? r : null;
    }, { timeout: 10_000, what: 'quick pick items' }).catch(() => /** @type {string[]} */ ([]));
  }
  // Multi-select picks have a "toggle all" checkbox in the header (a custom toggle in VS Code
  // 1.100, an <input> in older builds): check everything, then accept.
  const checkAll = page.locator('.quick-input-widget .quick-input-header .monaco-custom-toggle, .quick-input-widget input.quick-input-check-all').first();
  if (await checkAll.isVisible().catch(() => false)) {
    if (o.all !== false) {
      const checked = async () => (await checkAll.getAttribute('aria-checked')) === 'true' || (await checkAll.isChecked().catch(() => false));
      if (!(await checked())) await checkAll.click();
      await waitFor(checked, { timeout: 3000, what: 'the quick pick\'s "toggle all" checkbox to be checked' });
    }
    await page.keyboard.press('Enter');
    return rows;
  }
  if (o.match && rows.length) {
    const idx = rows.findIndex(matches);
    if (idx > 0) {
      for (let i = 0; i < idx; i++) await page.keyboard.press('ArrowDown');
    }
  }
  await page.keyboard.press('Enter');
  return rows;
}

/**
 * Opens a workspace file by name through Quick Open (Ctrl+P).
 * @param {Page} page
 * @param {string} name
 */
export async function openFile(page, name) {
  await dismissQuickInput(page);
  const input = page.locator('.quick-input-widget input');
  await waitFor(
    async () => {
      await page.keyboard.press('Control+P');
      return input.isVisible({ timeout: 1500 }).catch(() => false);
    },
    { timeout: 15_000, what: 'Quick Open (Ctrl+P)', interval: 500 },
  );
  await input.fill(name);
  await waitFor(async () => (await quickInputRows(page)).some((r) => r.includes(name)), {
    timeout: 15_000,
    what: `Quick Open to list ${name}`,
  });
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[aria-label*="${name}"]`).first().waitFor({ state: 'visible', timeout: 10_000 });
  // The visible editor: restored webview panels and other groups keep hidden editor instances.
  await page.locator('.editor-instance .monaco-editor .view-lines >> visible=true').first().waitFor({ state: 'visible', timeout: 10_000 });
}

/** The activity-bar entry of the SKD Lab view container. @param {Page} page */
export function skdActivityItem(page) {
  return page.locator('.part.activitybar .action-item a[aria-label*="SKD" i], .part.activitybar .action-item[aria-label*="SKD" i]').first();
}

/** Shows the SKD Lab side bar (clicks its activity-bar icon unless it is already shown). @param {Page} page */
export async function showSkdSidebar(page) {
  const pane = experimentsPane(page);
  if (await pane.isVisible().catch(() => false)) return;
  await skdActivityItem(page).click();
  await pane.waitFor({ state: 'visible', timeout: 10_000 });
}

/** The "Experiments" pane of the SKD Lab container. @param {Page} page */
export function experimentsPane(page) {
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: /Experiments/i }) }).first();
}

/**
 * The rows of the Experiments tree: label, description, aria-label, expanded state, depth.
 * @param {Page} page
 */
export async function treeRows(page) {
  const pane = experimentsPane(page);
  return pane.locator('.monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => ({
      label: (r.querySelector('.label-name')?.textContent || '').trim(),
      description: (r.querySelector('.label-description')?.textContent || '').trim(),
      aria: r.getAttribute('aria-label') || '',
      expanded: r.getAttribute('aria-expanded'),
      level: Number(r.getAttribute('aria-level') || '0'),
      text: (r.textContent || '').trim(),
    })),
  );
}

/**
 * Expands a collapsed tree row whose label contains `label`.
 * @param {Page} page
 * @param {string} label
 */
export async function expandTreeRow(page, label) {
  const row = experimentsPane(page).locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  if ((await row.getAttribute('aria-expanded')) === 'false') {
    // Click the twistie: a click on the label runs the item's command (opens the file).
    await row.locator('.monaco-tl-twistie').click();
    await waitFor(async () => (await row.getAttribute('aria-expanded')) === 'true', { timeout: 5000, what: `tree row "${label}" to expand` });
  }
  return row;
}

/**
 * The inner frame of the visible webview that holds `selector`.
 * (The same as frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame'),
 * but it picks the visible panel when several webviews are open.)
 * @param {Page} page
 * @param {string} selector
 * @returns {Promise<Frame>}
 */
export async function webviewFrame(page, selector, timeout = 20_000) {
  return waitFor(
    async () => {
      for (const f of page.frames()) {
        const parent = f.parentFrame();
        if (!parent || parent === page.mainFrame()) continue;
        if (f.name() !== 'active-frame' && !f.url().includes('fake.html')) continue;
        if ((await f.locator(selector).count().catch(() => 0)) === 0) continue;
        const host = await parent.frameElement().catch(() => null);
        if (host && (await host.isVisible().catch(() => false))) return f;
      }
      return null;
    },
    { timeout, what: `a visible webview holding ${selector}` },
  );
}

/**
 * Markers (errors and warnings) shown in the Problems panel.
 * @param {Page} page
 */
export async function problemsRows(page) {
  return page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || r.textContent || '').trim()));
}
