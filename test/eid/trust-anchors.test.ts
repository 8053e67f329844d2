import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustAnchorFolder, parseCertificates, PRODUCTION_TRUST_ANCHOR_FOLDER } from '../../provider/eid/index.ts';

const TEST_CA = '/work/shared/testdata/web-eid/eID-TEST-EC-Citizen-CA.pem';

describe('the shipped production anchors', () => {
  it('are the Belgian roots and the intermediates recorded in their README, and nothing else', async () => {
    const anchors = await loadTrustAnchorFolder(PRODUCTION_TRUST_ANCHOR_FOLDER);
    const find = (subject: RegExp) => anchors.find((c) => subject.test(c.subject))!;
    expect(anchors.map((c) => c.fingerprint256).sort()).toEqual([
      '0F:6D:3F:8E:92:C1:43:28:15:6C:6F:E9:3C:F2:F8:CA:A3:99:35:F5:80:B7:7F:EA:19:B9:33:E9:41:36:0F:41',
      '70:2D:D5:C1:A0:93:CF:0A:9D:71:FA:DD:9B:F9:A7:C5:85:7D:89:FB:73:B7:16:E8:67:22:8B:3C:2B:EB:96:8F',
      '78:28:73:E7:08:1A:18:E4:20:12:C1:1C:64:45:DA:A9:2F:BD:3F:F9:E8:88:2B:4D:DD:A5:5D:8F:F8:F7:D6:C1',
      '90:83:50:45:11:A9:F5:D0:CF:AD:05:F3:AE:B7:5F:F7:55:2D:57:1E:8D:07:28:DA:98:8E:3A:5A:CD:F2:44:45',
      '9C:87:2B:C9:79:A7:C0:9A:58:D4:A2:74:C1:99:E5:CB:16:CF:A9:B9:61:8D:98:BC:9A:99:88:E9:84:B8:49:5C',
      'C3:FB:F3:72:59:AF:09:54:EE:EA:42:82:DD:1C:72:26:A5:4E:71:50:F7:C2:9A:2C:49:5B:A3:4D:BF:E0:9C:A0',
      'E1:B9:EB:40:B8:6A:48:44:45:3A:F2:F7:90:81:51:A7:BD:26:E1:C5:0D:36:7B:BB:1A:17:9A:B4:C8:58:D6:C3',
    ]);
    const root6 = find(/CN=Belgium Root CA6$/);
    expect(root6.verify(root6.publicKey)).toBe(true);
    for (const ca of [find(/serialNumber=202002\nCN=Citizen CA$/), find(/serialNumber=202001\nCN=Foreigner CA$/)]) {
      expect(ca.checkIssued(root6) && ca.verify(root6.publicKey)).toBe(true);
    }
    const ca4 = anchors.filter((c) => c.subject === 'C=BE\nCN=Belgium Root CA4');
    expect(ca4.map((c) => c.verify(c.publicKey))).toEqual([true, true]);
    // The 2016 and 2017 Citizen CAs are what Root CA4 signed, under both issues of that root (same key).
    for (const ca of [find(/serialNumber=201633$/), find(/serialNumber=201701$/)]) {
      expect(ca4.map((root) => ca.checkIssued(root) && ca.verify(root.publicKey))).toEqual([true, true]);
    }
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
    const pem = await readFile(TEST_CA, 'utf8');
    await writeFile(join(folder, 'test-ca.pem'), pem);
    await writeFile(join(folder, 'test-ca.der'), parseCertificates(pem)[0]!.raw);
    await writeFile(join(folder, 'notes.txt'), 'not a certificate');
    expect((await loadTrustAnchorFolder(folder)).map((c) => c.subject)).toEqual(Array(2).fill('C=BE\nCN=eID TEST EC Citizen CA'));
    await writeFile(join(folder, 'broken.crt'), 'garbage');
    await expect(loadTrustAnchorFolder(folder)).rejects.toMatchObject({ code: 'trust_anchors_invalid', detail: expect.stringMatching(/^broken\.crt/) });
  });

  it('refuses a card certificate put among the anchors by mistake', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'belid-anchors-'));
    await writeFile(join(folder, 'test-ca.pem'), await readFile(TEST_CA, 'utf8'));
    const card = JSON.parse(await readFile(new URL('../../../shared/testdata/web-eid/belgian-test-card-tokens.json', import.meta.url), 'utf8')) as { tokens: { token: { unverifiedCertificate: string } }[] };
    await writeFile(join(folder, 'card.der'), Buffer.from(card.tokens[0]!.token.unverifiedCertificate, 'base64'));
    await expect(loadTrustAnchorFolder(folder)).rejects.toMatchObject({ code: 'trust_anchors_invalid', detail: expect.stringMatching(/^card\.der: .*Specimen.* is not a CA certificate/) });
  });
});

