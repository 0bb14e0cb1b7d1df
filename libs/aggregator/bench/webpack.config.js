// The aggregator bench as one bundle in dist/bench/aggregator (see deploy/webpack/bench.js).
module.exports = require('../../../deploy/webpack/bench')(__dirname, 'pipeline.bench.ts', 'dist/bench/aggregator');
