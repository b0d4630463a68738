// `node --require @vigil/agent/register app.js`: start Vigil before the app loads.
import { start } from './index.js';

start();
