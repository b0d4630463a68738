'use strict';
// Mounted by app.js; filled in by the tests of this attack class.
module.exports = function mount(/* app, { db } */) {};
