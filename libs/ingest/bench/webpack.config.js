// The replay bench as one bundle, dist/libs/ingest/bench/main.js (see deploy/webpack/bench.js), with the
// CSV replay's worker thread beside it (csv-worker.js), as the ingest-producer ships it.
module.exports = require('../../../deploy/webpack/bench')(__dirname, 'replay.bench.ts', 'dist/libs/ingest/bench', { 'csv-worker': 'libs/ingest/src/lib/csv/csv-worker.ts' });
