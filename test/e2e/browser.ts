import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright';

/** Where screenshots of the dashboard's views are saved (a CI artifact; git-ignored). */
export const SCREENSHOTS = join(
  fileURLToPath(new URL('../..', import.meta.url)),
  'test-results',
  'screenshots',
);

/**
 * Starts the system's Chromium headless (Playwright's own browsers are not downloaded), with flags that work
 * as root, plus `extraArgs`.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

/** Saves a full-window screenshot as test-results/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
