import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const op = JSON.parse(readFileSync('/tmp/x/op.json', 'utf8'));
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const p = await (await b.newContext({ viewport: { width: 520, height: 760 } })).newPage();
await p.goto(op.pinUrl);
await p.screenshot({ path: '/tmp/x/1-choice.png', fullPage: true });
await p.check('text=Nora');
await p.click('button.primary');
await p.waitForLoadState();
await p.screenshot({ path: '/tmp/x/2-pin.png', fullPage: true });
for (const pin of ['1111', '2222']) { await p.fill('#pin', pin); await p.click('button.primary'); await p.waitForLoadState(); }
await p.screenshot({ path: '/tmp/x/3-two-wrong.png', fullPage: true });
await p.fill('#pin', '5678'); await p.click('button.primary'); await p.waitForLoadState();
await p.screenshot({ path: '/tmp/x/4-done.png', fullPage: true });
await b.close();
