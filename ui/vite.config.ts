import { defineConfig } from "vite";

// The window loads the built files from the app itself: no dev server in production, no
// network, and every asset local (the CSP allows 'self' only).
export default defineConfig({
  clearScreen: false,
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { port: 1420, strictPort: true },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["test/**/*.test.ts?(x)"],
  },
});
