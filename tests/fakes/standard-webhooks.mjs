// What a receiver of Faultline's signed webhooks must check, per the Standard
// Webhooks specification: webhook-id, webhook-timestamp within the tolerance,
// and one of the space-separated "v1,<base64>" signatures equal (in constant
// time) to HMAC-SHA256 of "<id>.<timestamp>.<body>" under a whsec_ secret's
// base64-decoded key.
import crypto from 'node:crypto';

function keyOf(secret) {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

export function sign(secret, id, timestamp, body) {
  const mac = crypto.createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

// headers: lower-cased names. Returns {ok: true} or {ok: false, why}.
export function verify(secrets, headers, body, {now = Date.now() / 1000, toleranceSeconds = 300} = {}) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return {ok: false, why: 'missing webhook-id, webhook-timestamp or webhook-signature'};
  if (!/^[0-9]+$/.test(timestamp)) return {ok: false, why: 'webhook-timestamp is not a number'};
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) return {ok: false, why: 'webhook-timestamp outside the tolerance'};
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, id, timestamp, body));
    for (const given of signatures.split(' ')) {
      const candidate = Buffer.from(given);
      if (candidate.length === expected.length && crypto.timingSafeEqual(candidate, expected)) return {ok: true};
    }
  }
  return {ok: false, why: 'no signature matches'};
}
