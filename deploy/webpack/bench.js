const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/**
 * Webpack config of a benchmark: one precompiled bundle, built like the services (nest-app.js), so the
 * measured process runs the code as users run it: no TypeScript compiler loaded in it
 * (@swc-node/register alone added about 70–120 MiB of RSS and compiled code on the clock).
 * Used by libs/<lib>/bench/webpack.config.js: module.exports = bench(__dirname, 'x.bench.ts', 'dist/…').
 * extraEntries: more scripts bundled beside main.js, { name: path from the workspace root } (a worker thread's script).
 */
module.exports = function bench(benchDir, entry, outputFromRoot, extraEntries = {}) {
  return {
    output: { path: join(__dirname, '../..', outputFromRoot) },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: join(benchDir, entry),
        additionalEntryPoints: Object.entries(extraEntries).map(([entryName, path]) => ({ entryName, entryPath: join(__dirname, '../..', path) })),
        tsConfig: join(benchDir, '../tsconfig.bench.json'),
        assets: [],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: false,
        sourceMaps: true,
      }),
    ],
  };
};
