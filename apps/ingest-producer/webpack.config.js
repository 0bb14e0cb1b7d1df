const nestApp = require('../../deploy/webpack/nest-app');

// csv-worker.js: the CSV replay's worker thread (libs/ingest csv-worker-source.ts looks for it beside main.js).
module.exports = nestApp(__dirname, 'ingest-producer', { 'csv-worker': 'libs/ingest/src/lib/csv/csv-worker.ts' });
