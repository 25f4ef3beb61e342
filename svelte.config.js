import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A client-side app: the light client runs in the browser, nodes serve the static build.
    adapter: adapter({ fallback: 'index.html' }),
    router: { type: 'hash' },
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self', 'wasm-unsafe-eval'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'media-src': ['self', 'blob:'],
        'connect-src': ['self', 'ws:', 'wss:', 'http://127.0.0.1:*', 'http://localhost:*'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'worker-src': ['self']
      }
    }
  }
};

export default config;
