import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appContentSecurityPolicy, isAppUrl, resolveAppAsset } from '../../../main/app-protocol.js';

describe('app:// protocol for the bundled renderer', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'glassbox-renderer-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, '..', 'secret-next-to-renderer.txt'), 'no');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(root, '..', 'secret-next-to-renderer.txt'), { force: true });
  });

  it('serves files under the renderer folder with their content type', () => {
    expect(resolveAppAsset(root, 'app://glassbox/')).toEqual({
      path: join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppAsset(root, 'app://glassbox/assets/app.js')?.contentType).toMatch(/javascript/);
  });

  it('falls back to index.html for client-side routes but not for missing files', () => {
    expect(resolveAppAsset(root, 'app://glassbox/sessions/01J')?.path).toBe(join(root, 'index.html'));
    expect(resolveAppAsset(root, 'app://glassbox/assets/missing.js')).toBeUndefined();
  });

  it('never leaves the renderer folder or answers another host', () => {
    expect(resolveAppAsset(root, 'app://glassbox/../secret-next-to-renderer.txt')).toBeUndefined();
    expect(resolveAppAsset(root, 'app://glassbox/%2e%2e/secret-next-to-renderer.txt')).toBeUndefined();
    expect(resolveAppAsset(root, 'app://glassbox/..%2fsecret-next-to-renderer.txt')).toBeUndefined();
    expect(resolveAppAsset(root, 'app://glassbox/%00')).toBeUndefined();
    expect(resolveAppAsset(root, 'app://other/index.html')).toBeUndefined();
    expect(resolveAppAsset(root, 'https://glassbox/index.html')).toBeUndefined();
  });

  it('builds a CSP that allows only the app and the engine API', () => {
    const csp = appContentSecurityPolicy('http://127.0.0.1:8789');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:8789 ws://127.0.0.1:8789");
    expect(csp).not.toContain('unsafe-eval');
    expect(isAppUrl('app://glassbox/index.html')).toBe(true);
    expect(isAppUrl('https://example.com')).toBe(false);
  });
});
