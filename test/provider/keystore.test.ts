import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyStore, SIGNING_ALGS } from '../../provider/keys/keystore.ts';
import { tempDir } from '../helpers/provider.ts';

test('tokens the key store signs verify with jose against the published JWKS, for every algorithm', async () => {
  const dir = tempDir();
  try {
    const keys = await KeyStore.open(dir);
    const jwks = createLocalJWKSet(keys.jwks());
    const iat = Math.floor(Date.now() / 1000);
    for (const alg of SIGNING_ALGS) {
      const jwt = await keys.sign({ iss: 'https://nod.test', sub: 'ünïcode ✓', iat, exp: iat + 60 }, alg, 'at+jwt');
      const header = decodeProtectedHeader(jwt);
      assert.equal(header.alg, alg);
      assert.equal(header.typ, 'at+jwt');
      assert.ok(keys.jwks().keys.some((k) => k.kid === header.kid && k.alg === alg));
      const { payload } = await jwtVerify(jwt, jwks, { issuer: 'https://nod.test', algorithms: [alg], typ: 'at+jwt' });
      assert.equal(payload.sub, 'ünïcode ✓');
      // A changed payload no longer verifies.
      const [h, , sig] = jwt.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ iss: 'https://nod.test', sub: 'mallory', iat, exp: iat + 60 })).toString('base64url')}.${sig}`;
      await assert.rejects(jwtVerify(forged, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
