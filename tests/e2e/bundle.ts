/**
 * Bundles a TypeScript entry for the browser with esbuild (already present through Vite) so e2e
 * tests can run the very same core code inside Chromium and compare with Node.
 */
import { build } from 'esbuild';

export async function bundleForBrowser(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'cc',
    platform: 'browser',
    target: 'chrome120'
  });
  return out.outputFiles[0]!.text;
}
