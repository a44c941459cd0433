import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..', '..');

interface PackageScript {
  MARKETPLACE_README: string;
  packedReadme(file?: string): string;
  vsceReadmeArgs(readme?: string): string[];
}
interface Vsce {
  listFiles(options: { cwd: string; packageManager: number; readmePath: string }): Promise<string[]>;
  PackageManager: { None: number };
}

/** Image targets of Markdown `![alt](target)`. */
function imageLinks(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(\s*([^)\s]+)\s*\)/g)].map((m) => m[1] as string);
}

const script = async () => (await import(path.join(root, 'scripts', 'package.mjs'))) as PackageScript;

test('marketplace README: it links the dashboard, tree and comparison screenshots, each an image that exists', async () => {
  const { MARKETPLACE_README } = await script();
  const file = path.join(root, MARKETPLACE_README);
  const links = imageLinks(fs.readFileSync(file, 'utf8'));
  for (const shot of ['dashboard', 'tree', 'compare']) assert.ok(links.includes(`../../docs/images/${shot}.png`), `shows docs/images/${shot}.png`);
  assert.ok(fs.readFileSync(file, 'utf8').includes('<img') === false, 'images as Markdown, which the packer inlines');
  for (const link of links) {
    assert.doesNotMatch(link, /^[a-z][\w+.-]*:/i, `${link}: a path in the repository, not a URL that needs the network`);
    assert.match(link, /\.(png|jpe?g|gif)$/i, `${link}: an image type a README may show (not SVG)`);
    assert.ok(fs.existsSync(path.resolve(path.dirname(file), link)), `${link}: exists`);
  }
});

test('marketplace README: the packed README carries every image, and vsce packs that README', async () => {
  const { MARKETPLACE_README, packedReadme, vsceReadmeArgs } = await script();
  const source = path.join(root, MARKETPLACE_README);
  const links = imageLinks(fs.readFileSync(source, 'utf8'));
  const packed = packedReadme();
  const packedLinks = imageLinks(packed);
  assert.equal(packedLinks.length, links.length);
  links.forEach((link, i) => {
    // VS Code shows an installed extension's README with `img-src https: data:` and no base
    // address: only a data: URI loads from the package, offline.
    const bytes = fs.readFileSync(path.resolve(path.dirname(source), link));
    assert.equal(packedLinks[i], `data:image/png;base64,${bytes.toString('base64')}`, `${link}: inlined as it is on disk`);
  });
  assert.deepEqual(vsceReadmeArgs('x.md'), ['--readme-path', 'x.md', '--no-rewrite-relative-links'], 'vsce leaves the data: URIs alone');

  // The package's file list, from vsce itself, with the repository's ignore file: it holds the
  // packed README (written under .tmp/, which the ignore file otherwise leaves out).
  const rel = `.tmp/readme-test-${process.pid}/README.md`;
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), packed);
  try {
    const vsce = (await import(path.join(root, 'node_modules', '@vscode', 'vsce', 'out', 'api.js'))) as Vsce;
    const files = (await vsce.listFiles({ cwd: root, packageManager: vsce.PackageManager.None, readmePath: rel })).map((f) => f.split(path.sep).join('/'));
    assert.ok(files.includes(rel), 'the packed README is in the package');
    assert.ok(!files.some((f) => f.startsWith('docs/')), 'the screenshots travel inside the README, not as files');
  } finally {
    fs.rmSync(path.dirname(path.join(root, rel)), { recursive: true, force: true });
  }
});

test('marketplace README: a missing or SVG image stops packing, naming the README and the link', async () => {
  const { packedReadme } = await script();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-readme-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.md'), '![x](nope.png)\n');
    assert.throws(() => packedReadme(path.join(dir, 'a.md')), /a\.md: image nope\.png: no such file/);
    fs.writeFileSync(path.join(dir, 'b.md'), '![x](logo.svg)\n');
    assert.throws(() => packedReadme(path.join(dir, 'b.md')), /b\.md: image logo\.svg: not a PNG, JPEG or GIF/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
