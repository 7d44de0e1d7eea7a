#!/usr/bin/env node
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('../dist/buildwarden.js')
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
