const nestApp = require('../../deploy/webpack/nest-app');

module.exports = nestApp(__dirname, 'ingest-producer');
