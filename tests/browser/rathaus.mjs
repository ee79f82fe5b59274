// Shared helpers of the browser tests: start a real `rathaus demo`, open Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function rathausBinary() {
  return process.env.RATHAUS_BIN ?? join(root, 'target', 'debug', 'rathaus');
}

/** Starts the demo town hall on a free port; resolves with its URL and a stop function. */
export async function startDemo() {
  const data = mkdtempSync(join(tmpdir(), 'rathaus-browser-'));
  const child = spawn(rathausBinary(), ['demo', '--listen', '127.0.0.1:0', '--data', data], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = line.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`rathaus demo exited with ${code}`)));
  });
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, without any network access beyond localhost. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
