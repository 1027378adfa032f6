// Checks the converted OpenAPI document against the OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator, the official 3.1 JSON Schema), and
// that no key anywhere holds whitespace: the mark of a YAML flow mapping that
// cut a sentence at a comma and made the rest a key.
//   node tests/contract/check-document.mjs build/schemas/openapi.json
import {readFileSync} from 'node:fs';
import {Validator} from '@seriousme/openapi-schema-validator';

const document = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
const validator = new Validator();
const result = await validator.validate(structuredClone(document));
if (!result.valid) {
  const errors = Array.isArray(result.errors) ? result.errors : [result.errors];
  for (const e of errors) problems.push(`schema: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params ?? e)}`);
}
if (validator.version !== '3.1') problems.push(`schema: validated as OpenAPI ${validator.version}, not 3.1`);

(function walk(node, at) {
  if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    // Path templates and media types have no spaces either; only example values may.
    if (/\s/.test(key) && !at.includes('/examples/') && !at.endsWith('/example'))
      problems.push(`key with whitespace (a sentence cut by YAML?): ${at}/${key}`);
    walk(value, `${at}/${key}`);
  }
})(document, '');

let operations = 0;
for (const [path, item] of Object.entries(document.paths ?? {}))
  for (const [method, op] of Object.entries(item)) {
    if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(method)) continue;
    operations++;
    for (const field of ['operationId', 'summary'])
      if (!op[field]) problems.push(`${method.toUpperCase()} ${path}: no ${field}`);
    const statuses = Object.keys(op.responses ?? {});
    if (!statuses.some((s) => s.startsWith('4'))) problems.push(`${method.toUpperCase()} ${path}: no 4XX answer`);
    if (!statuses.some((s) => s.startsWith('5'))) problems.push(`${method.toUpperCase()} ${path}: no 5XX answer`);
  }

if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`openapi: ${problems.length} problem(s) in ${process.argv[2]}`);
  process.exit(1);
}
console.log(`openapi: ${process.argv[2]} is valid OpenAPI ${document.openapi} (${operations} operations)`);
