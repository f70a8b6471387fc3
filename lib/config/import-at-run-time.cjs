// `import()` of what is only known when berth runs (the user's deploy.config.mjs, tsx's loader, ajv), kept out
// of the bundle: lib/cli/compiled.mjs runs the bundle as a script with V8's code cache, where an `import()`
// has no module loader to call (Node 20). A CommonJS file of its own, so Node's loader runs it as ever;
// bare names resolve from here, as they did from lib/.
'use strict'

/**
 * @param {string} specifier a file URL, or a package name
 * @returns {Promise<any>}
 */
exports.importAtRunTime = (specifier) => import(specifier)
