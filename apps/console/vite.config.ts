import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API under /console (apps/api/src/http/console.ts), so every asset
// path starts there; `pnpm dev` proxies the API's routes to a local API.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: { outDir: "dist", manifest: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: { "/v1": "http://localhost:3000", "/admin": "http://localhost:3000" },
  },
});
