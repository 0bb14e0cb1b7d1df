const nestApp = require('../../deploy/webpack/nest-app');

module.exports = nestApp(__dirname, 'warehouse-sink');
