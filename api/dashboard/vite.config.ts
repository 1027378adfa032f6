import { defineConfig } from 'vite';

// The API runs elsewhere in development; the built app is served by faultline-api itself.
const api = process.env.FAULTLINE_DASHBOARD_API ?? 'http://127.0.0.1:8080';
// The policy faultline-api serves the build with; `vite preview` applies it too, so a violation shows up locally.
const csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // The server's CSP allows scripts and styles from 'self' only: no data: URIs, no inline polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: false } } },
  preview: { proxy: { '/api': { target: api, changeOrigin: false } }, headers: { 'Content-Security-Policy': csp } },
});
