import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the app on http://localhost:5173 and the app calls the application
// server on http://localhost:5000/ (CORS). `npm run build` writes dist/, which the
// application server serves itself (STATIC_DIR), so the built app calls it on its own
// origin; `npm run preview` serves dist/ on http://localhost:4173 and forwards /api/ to
// the application server for the same effect. VITE_APPLICATION_SERVER_URL overrides the
// application server's URL (see src/api.js).
const APPLICATION_SERVER = 'http://localhost:5000';
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    port: 5173,
  },
  preview: {
    port: 4173,
    proxy: {
      '/api/': APPLICATION_SERVER,
    },
  },
});
