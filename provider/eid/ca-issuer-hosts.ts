// Where Belgium publishes its eID CAs: the Root CA4 generation, and the Root CA6 one. On its own, so that the
// settings can name the default without loading the certificate code.
export const BELGIAN_CA_ISSUER_HOSTS: readonly string[] = ['certs.eid.belgium.be', 'crt.eidpki.belgium.be'];
