// The replay bench as one bundle, dist/libs/ingest/bench/main.js (see deploy/webpack/bench.js).
module.exports = require('../../../deploy/webpack/bench')(__dirname, 'replay.bench.ts', 'dist/libs/ingest/bench');
