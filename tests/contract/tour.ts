// Runs the typed client's tour against a live API: node tour.js BASE EMAIL
// (the password on standard input). scripts/contract runs it after compiling.
import {readFileSync} from 'node:fs';
import {tour} from './client.js';

const [base, email] = process.argv.slice(2);
if (!base || !email) throw new Error('usage: tour.js BASE EMAIL < password');
const password = readFileSync(0, 'utf8').trim();
for (const line of await tour(base, email, password)) console.log(`typed client: ${line}`);
