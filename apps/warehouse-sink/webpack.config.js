const nestApp = require('../../deploy/webpack/nest-app');

// migrate.js: `npm run warehouse:migrate` in the image, for the Kubernetes migration Job.
module.exports = nestApp(__dirname, 'warehouse-sink', { migrate: 'libs/warehouse/src/migrate-cli.ts' });
