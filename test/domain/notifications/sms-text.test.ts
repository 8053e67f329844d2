// An alert by SMS is cut to three concatenated parts (459 characters of the SMS alphabet), in the form the outbox
// sends: an ellipsis written "…" before the outbox made it "..." would have pushed the text two characters past them.
import { describe, expect, it } from 'vitest';
import { smsText } from '../../../provider/domain/notifications/service.ts';
import { smsPlain } from '../../../provider/domain/messaging/sms-text.ts';

describe('the text of an alert by SMS', () => {
  it('is cut to 459 characters as sent, ending in three dots', () => {
    const text = smsText('fr', { subject: 'Crue de la Lys', text: 'L\u2019eau monte\u00a0: évacuez. '.repeat(40), severity: 'critical' });
    expect(smsPlain(text)).toBe(text);
    expect(text).toHaveLength(459);
    expect(text.endsWith('...')).toBe(true);
  });

  it('is kept whole when it fits', () => {
    const text = smsText('en', { subject: 'Flood', text: 'Water rising on the Leie.', severity: 'warning' });
    expect(text.length).toBeLessThan(100);
    expect(text).toContain('Water rising on the Leie.');
  });
});
