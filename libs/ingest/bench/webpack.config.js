const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/**
 * The benchmark as a user runs the pipeline: one precompiled bundle (dist/libs/ingest/bench/main.js),
 * so its memory figure is the replay's and Node's, not the on-the-fly TypeScript compiler's.
 */
module.exports = {
  output: { path: join(__dirname, '../../../dist/libs/ingest/bench') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: join(__dirname, 'replay.bench.ts'),
      tsConfig: join(__dirname, '../tsconfig.bench.json'),
      assets: [],
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMaps: true,
    }),
  ],
};
