/**
 * Reads why `npm install @tensorflow/tfjs-node[-gpu]` failed, from npm's own output, so the user
 * gets one sentence instead of a stack trace. The common case: npm fetched the package, then its
 * install script could not download TensorFlow's C library (libtensorflow) from Google's
 * storage host (no internet, a firewall, a proxy).
 */

export type NpmFailure =
  /** The package came from the registry; its install script could not download libtensorflow. */
  | { kind: 'library-download'; host: string; reason: string }
  /** npm itself could not reach the package registry. */
  | { kind: 'registry'; reason: string }
  /** Anything else: the last meaningful line of npm's output. */
  | { kind: 'other'; reason: string };

/** tfjs-node's default download host (its scripts/install.js), when the output names none. */
const DEFAULT_LIBRARY_HOST = 'storage.googleapis.com';
const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|CERT_\w+|UNABLE_TO_GET_ISSUER_CERT\w*|SELF_SIGNED_CERT\w*|socket hang up|status code \d{3}|statusCode:? \d{3})\b/;

/** npm prefixes every line of a failure with "npm error" (npm 10) or "npm ERR!" (older). */
function stripPrefix(line: string): string {
  return line.replace(/^npm (?:error|ERR!)\s?/, '');
}

function networkReason(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => /^\s*(?:Error|FetchError|RequestError)\b.*:/.test(l) && NETWORK_ERROR.test(l)) ?? lines.find((l) => NETWORK_ERROR.test(l));
  return line?.trim().replace(/^(?:Error|FetchError|RequestError):\s*/, '');
}

export function classifyNpmFailure(output: string): NpmFailure {
  const lines = output.split(/\r?\n/).map(stripPrefix);
  const reason = networkReason(lines);
  // tfjs-node's script prints "* Downloading libtensorflow" and the URL before it fetches.
  const libraryStep = lines.some((l) => /Downloading libtensorflow|libtensorflow[-\w.]*\.(?:tar\.gz|zip)|node-pre-gyp/i.test(l));
  if (libraryStep && reason) {
    const named = output.match(/hostname:\s*'([^']+)'/)?.[1] ?? output.match(/https?:\/\/([^/\s]+)\/\S*libtensorflow/)?.[1];
    return { kind: 'library-download', host: named ?? DEFAULT_LIBRARY_HOST, reason };
  }
  if (reason) return { kind: 'registry', reason };
  const meaningful = lines.map((l) => l.trim()).filter((l) => l && !/^(?:at |A complete log|code |errno |syscall |\{|\}|Node\.js v)/.test(l));
  return { kind: 'other', reason: meaningful[meaningful.length - 1] ?? 'npm exited with an error' };
}

/** The one message the user reads when the install failed. */
export function npmFailureMessage(pkg: string, failure: NpmFailure): string {
  const wasm = 'Training goes on with the wasm backend.';
  switch (failure.kind) {
    case 'library-download':
      return (
        `Installing ${pkg} failed: its install script could not download the TensorFlow library (libtensorflow) from ${failure.host} (${failure.reason}). ` +
        `This machine needs internet access to ${failure.host}, or a pre-downloaded libtensorflow served from a mirror named by TFJS_NODE_CDN_STORAGE. ${wasm}`
      );
    case 'registry':
      return `Installing ${pkg} failed: npm could not reach its package registry (${failure.reason}). Check the network or npm's proxy and registry settings. ${wasm}`;
    case 'other':
      return `Installing ${pkg} failed: ${failure.reason}. See the SKD Trainer output for npm's full output. ${wasm}`;
  }
}
