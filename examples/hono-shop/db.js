'use strict';
// The same small database every framework example uses.
module.exports = require('../shared/framework-shop-db.js');
