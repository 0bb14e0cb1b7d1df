const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/**
 * The bench as one precompiled bundle, built like the stream-aggregator service (deploy/webpack),
 * so the measured process runs the aggregator as users run it: no transpiler loaded in it
 * (@swc-node/register alone added about 70 MiB of RSS and compiled code on the clock).
 */
module.exports = {
  output: { path: join(__dirname, '../../../dist/bench/aggregator') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: join(__dirname, 'pipeline.bench.ts'),
      tsConfig: join(__dirname, '../tsconfig.bench.json'),
      assets: [],
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMaps: true,
    }),
  ],
};
