// Shared by the recovery suites: a provider with an SMTP sink, and a form session without a browser (the CSRF
// cookie and token from a GET, then form posts with them) for tests that post many times.
import { startTestProvider, type TestProvider } from '../../helpers/provider.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

export interface ProviderWithSink {
  idp: TestProvider;
  sink: SmtpSink;
  close(): Promise<void>;
}

/** A provider on PGlite delivering mail to a real SMTP server; the answer floor is short unless `env` says otherwise. */
export async function startWithSink(env: Record<string, string>): Promise<ProviderWithSink> {
  const sink = await startSmtpSink();
  const idp = await startTestProvider('pglite', { SMTP_URL: sink.url, OUTBOX_POLL_MS: '100', RECOVERY_RESPONSE_MS: '50', ...env });
  return {
    idp,
    sink,
    async close() {
      await idp.close();
      await sink.stop();
    },
  };
}

export interface FormSession {
  post(path: string, fields: Record<string, string>): Promise<Response>;
}

export async function openForm(base: string, path: string): Promise<FormSession> {
  const page = await fetch(`${base}${path}`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error(`no form at ${path}`);
  return {
    post: (to, fields) =>
      fetch(`${base}${to}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base },
        body: new URLSearchParams({ _csrf: csrf, ...fields }),
        redirect: 'manual',
      }),
  };
}
