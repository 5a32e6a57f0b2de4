// Builds the console into the Python package: src/tidings/console/static (index.html + assets/).
// `tidings serve` serves index.html at / and the assets under /console/assets/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "../src/tidings/console/static",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2020",
    chunkSizeWarningLimit: 400,
  },
});
