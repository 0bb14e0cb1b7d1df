const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/**
 * Webpack config of a NestJS service: one bundle in dist/apps/<app> with a pruned
 * package.json of what it imports, so each service deploys on its own.
 * Used by apps/<app>/webpack.config.js: module.exports = nestApp(__dirname, '<app>').
 * extraEntries: more scripts bundled beside main.js in the same image, { name: path from the
 * workspace root }, e.g. the sink's migrate.js that the Kubernetes migration Job runs.
 */
module.exports = function nestApp(appDir, appName, extraEntries = {}) {
  return {
    output: {
      path: join(__dirname, '../../dist/apps', appName),
      ...(process.env.NODE_ENV !== 'production' && { devtoolModuleFilenameTemplate: '[absolute-resource-path]' }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: join(appDir, 'src/main.ts'),
        additionalEntryPoints: Object.entries(extraEntries).map(([entryName, path]) => ({ entryName, entryPath: join(__dirname, '../..', path) })),
        tsConfig: join(appDir, 'tsconfig.app.json'),
        assets: [],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMaps: true,
      }),
    ],
  };
};
