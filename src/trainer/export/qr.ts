import * as QRCode from 'qrcode';

/**
 * A QR code of `url` drawn with terminal block characters (two modules a character row), for a
 * phone's camera; '' if it cannot be made. `color` keeps the library's black-on-white escapes,
 * which make it scan on a dark terminal too; without (a pipe, a log, `NO_COLOR`) the plain blocks.
 */
export async function terminalQr(url: string, color = true): Promise<string> {
  let text: string;
  try {
    text = await QRCode.toString(url, { type: 'terminal', small: true });
  } catch {
    return '';
  }
  // eslint-disable-next-line no-control-regex
  return color ? text : text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Whether `out` gets the colored code: a terminal, and `NO_COLOR` not set. */
export function qrColor(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return (out as { isTTY?: boolean }).isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
