import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into web/dist, which the Triage server serves at / (src/http/routes/web-ui.ts).
// `npm run dev:web` proxies /api to a Triage started with `npm start` on port 3000.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } } },
});
