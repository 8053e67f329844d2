import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustAnchorFolder, parseCertificates, PRODUCTION_TRUST_ANCHOR_FOLDER } from '../../provider/eid/index.ts';
import { testCardCa, testCardTokens } from '../helpers/web-eid-fixtures.ts';

describe('the shipped production anchors', () => {
  it('are the Belgian roots and the intermediates recorded in their README, and nothing else', async () => {
    const anchors = await loadTrustAnchorFolder(PRODUCTION_TRUST_ANCHOR_FOLDER);
    const readme = await readFile(join(PRODUCTION_TRUST_ANCHOR_FOLDER, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `[^`]+\.pem` \|.*\| `([0-9A-F:]{95})` \|$/gm)].map((m) => m[1]);
    expect(listed).toHaveLength(16);
    expect(anchors.map((c) => c.fingerprint256).sort()).toEqual(listed.sort());
    expect(anchors.map((c) => c.fingerprint256)).toContain('15:91:7C:4C:B7:4B:B3:01:C4:45:A2:E0:30:CD:D2:90:91:8C:80:32:03:81:00:69:27:D2:2A:43:FD:41:FF:D1');

    const roots = anchors.filter((c) => c.issuer === c.subject);
    expect(roots.map((c) => c.verify(c.publicKey))).toEqual([true, true, true]);
    const ca4 = roots.filter((c) => c.subject === 'C=BE\nCN=Belgium Root CA4');
    const [root6] = roots.filter((c) => /CN=Belgium Root CA6$/.test(c.subject));
    const intermediates = anchors.filter((c) => c.issuer !== c.subject);
    expect(intermediates.map((c) => /\nCN=(Citizen|Foreigner) CA$|CN=(Citizen|Foreigner) CA\nserialNumber=\d{6}$/.test(c.subject))).toEqual(
      Array(13).fill(true),
    );
    // Each intermediate is what its root signed: Root CA4 (under both issues of that root, same key) or Root CA6.
    for (const ca of intermediates) {
      const signedBy = ca.issuer === root6!.subject ? [root6!] : ca4;
      expect(
        signedBy.map((root) => ca.checkIssued(root) && ca.verify(root.publicKey)),
        ca.subject,
      ).toEqual(signedBy.map(() => true));
    }
    expect(intermediates.filter((ca) => ca.issuer === root6!.subject)).toHaveLength(3);
  });
});

describe('parseCertificates', () => {
  it('reads a PEM bundle as text or bytes, DER bytes, and certificates already parsed', async () => {
    const [root6, citizen] = (await loadTrustAnchorFolder(PRODUCTION_TRUST_ANCHOR_FOLDER)).filter((c) => /CA6|Citizen/.test(c.subject));
    const bundle = `${root6!.toString()}\n${citizen!.toString()}`;
    expect(parseCertificates(bundle).map((c) => c.fingerprint256)).toEqual([root6!.fingerprint256, citizen!.fingerprint256]);
    expect(parseCertificates(Buffer.from(bundle))).toHaveLength(2);
    expect(parseCertificates(new Uint8Array(root6!.raw))[0]!.fingerprint256).toBe(root6!.fingerprint256);
    expect(parseCertificates([root6!, bundle])).toHaveLength(3);
  });

  it('refuses what is not a certificate', () => {
    for (const bad of ['hello', Buffer.from('not DER'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']) {
      expect(() => parseCertificates(bad)).toThrow(expect.objectContaining({ code: 'trust_anchors_invalid' }));
    }
  });
});

describe('loadTrustAnchorFolder', () => {
  it('loads certificate files, ignores other files, and names a broken file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'belid-anchors-'));
    const pem = testCardCa();
    await writeFile(join(folder, 'test-ca.pem'), pem);
    await writeFile(join(folder, 'test-ca.der'), parseCertificates(pem)[0]!.raw);
    await writeFile(join(folder, 'notes.txt'), 'not a certificate');
    expect((await loadTrustAnchorFolder(folder)).map((c) => c.subject)).toEqual(Array(2).fill('C=BE\nCN=eID TEST EC Citizen CA'));
    await writeFile(join(folder, 'broken.crt'), 'garbage');
    await expect(loadTrustAnchorFolder(folder)).rejects.toMatchObject({ code: 'trust_anchors_invalid', detail: expect.stringMatching(/^broken\.crt/) });
  });

  it('refuses a card certificate put among the anchors by mistake', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'belid-anchors-'));
    await writeFile(join(folder, 'test-ca.pem'), testCardCa());
    const card = testCardTokens();
    await writeFile(join(folder, 'card.der'), Buffer.from(card.tokens[0]!.token.unverifiedCertificate, 'base64'));
    await expect(loadTrustAnchorFolder(folder)).rejects.toMatchObject({
      code: 'trust_anchors_invalid',
      detail: expect.stringMatching(/^card\.der: .*Specimen.* is not a CA certificate/),
    });
  });
});
