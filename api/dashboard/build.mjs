#!/usr/bin/env node
// Builds the dashboard against an API contract:
//   node api/dashboard/build.mjs --openapi <openapi.json> --out <dir>
// 1. types from the contract (openapi-typescript) into <dir>/../dashboard-types/,
// 2. tsc over the app against them — a contract change that breaks the app fails here,
// 3. vite build into <dir> (emptied first): index.html and assets/*.
// Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

function fail(message) {
  console.error(`dashboard build: ${message}`);
  process.exit(1);
}

function options() {
  try {
    const { values } = parseArgs({
      options: { openapi: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    });
    if (!values.openapi || !values.out) throw new Error('both --openapi and --out are required');
    return { openapi: resolve(values.openapi), out: resolve(values.out) };
  } catch (error) {
    fail(`${error.message}\nusage: node build.mjs --openapi <openapi.json> --out <dir>`);
  }
}

async function generateTypes(openapiPath, typesDir) {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS(pathToFileURL(openapiPath));
  mkdirSync(typesDir, { recursive: true });
  writeFileSync(join(typesDir, 'openapi.d.ts'), astToString(ast));
  // tsc resolves `faultline-openapi` through this config; the app's own tsconfig stays contract-free.
  const tsconfig = {
    extends: join(here, 'tsconfig.json'),
    compilerOptions: {
      noEmit: true,
      paths: { 'faultline-openapi': ['./openapi.d.ts'] },
      // This config lives outside the app, so its type packages ("vite/client") are looked up in the app's.
      typeRoots: [join(here, 'node_modules', '@types'), join(here, 'node_modules')],
    },
    include: [join(here, 'src'), './openapi.d.ts'],
  };
  writeFileSync(join(typesDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
}

function typeCheck(typesDir) {
  const tsc = join(here, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(typesDir, 'tsconfig.json'), '--pretty', 'false'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) fail('type check failed (does the app still match the API contract?)');
}

async function bundle(outDir) {
  const { build } = await import('vite');
  rmSync(outDir, { recursive: true, force: true });
  await build({
    root: here,
    configFile: join(here, 'vite.config.ts'),
    logLevel: 'info',
    build: { outDir, emptyOutDir: true },
  });
  if (!existsSync(join(outDir, 'index.html'))) fail(`no index.html in ${outDir}`);
}

const { openapi, out } = options();
if (!existsSync(openapi)) fail(`no OpenAPI document at ${openapi}`);
if (!existsSync(join(here, 'node_modules'))) fail(`run npm ci in ${here} first`);
const typesDir = join(dirname(out), 'dashboard-types');
try {
  await generateTypes(openapi, typesDir);
  typeCheck(typesDir);
  await bundle(out);
} catch (error) {
  fail(error?.stack ?? String(error));
}
