// Debian's Chromium (apt-get install chromium; never a downloaded browser) driven by playwright-core.
// WebGL2 runs on SwiftShader, Chromium's CPU Vulkan, through ANGLE: headless Chromium refuses that
// software fallback unless --enable-unsafe-swiftshader says we mean it. As root (CI containers) the
// sandbox cannot start: --no-sandbox. The rest keeps a test run off the network and deterministic.
// playwright's launch() gives every run a fresh temporary profile (its own --user-data-dir).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGPU: navigator.gpu appears on a localhost page with these (Chromium 156, SwiftShader's Vulkan).
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
];

/** Why the browser tests skip here, or null when Chromium is installed. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests; .ci/run does`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}
