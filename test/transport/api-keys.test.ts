// The API-key checks REST and MCP-over-HTTP share: which headers present a key, and what a
// refusal says (never the key).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApiKeyDigests, isKeyRefusal } from '../../src/transport/api-keys.ts';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const table = new ApiKeyDigests([
  { id: 'soc', key_sha256: sha('sk-soc'), agents: ['soc-analyst'] },
  { id: 'ops', key_sha256: sha('sk-ops').toUpperCase(), agents: ['*'] },
]);

const reason = (headers: Record<string, string | string[]>) => {
  const who = table.authenticate(headers);
  return isKeyRefusal(who) ? `${who.reason} ${who.code}` : `key ${who.keyId}`;
};

describe('API-key checks', () => {
  it('accepts a key as Bearer (any case, spaces or tabs) or X-API-Key, or both when equal', () => {
    assert.equal(reason({ authorization: 'Bearer sk-soc' }), 'key soc');
    assert.equal(reason({ authorization: 'bearer\tsk-ops ' }), 'key ops');
    assert.equal(reason({ 'x-api-key': ' sk-soc ' }), 'key soc');
    assert.equal(reason({ authorization: 'Bearer sk-soc', 'x-api-key': 'sk-soc' }), 'key soc');
  });

  it('refuses missing, malformed, conflicting and unknown keys with the right code', () => {
    assert.equal(reason({}), 'missing NAU_AUTH_REQUIRED');
    assert.equal(reason({ 'x-api-key': '' }), 'missing NAU_AUTH_REQUIRED');
    assert.equal(reason({ authorization: 'sk-soc' }), 'malformed NAU_AUTH_INVALID');
    assert.equal(reason({ authorization: 'Basic c29jOnNr' }), 'malformed NAU_AUTH_INVALID');
    // Node joins a repeated X-API-Key header with ", ".
    assert.equal(reason({ 'x-api-key': 'sk-soc, sk-ops' }), 'malformed NAU_AUTH_INVALID');
    assert.equal(reason({ 'x-api-key': ['sk-soc', 'sk-soc'] }), 'malformed NAU_AUTH_INVALID');
    assert.equal(
      reason({ authorization: 'Bearer sk-soc', 'x-api-key': 'sk-ops' }),
      'malformed NAU_AUTH_INVALID',
    );
    assert.equal(reason({ authorization: 'Bearer sk-nobody' }), 'unknown NAU_AUTH_INVALID');
  });

  it('never puts the presented key in a refusal', () => {
    for (const h of [{ authorization: 'Bearer sk-secret-1' }, { 'x-api-key': 'sk-secret-1, x' }]) {
      const who = table.authenticate(h);
      assert.ok(isKeyRefusal(who));
      assert.ok(!JSON.stringify(who).includes('sk-secret-1'));
    }
  });
});
