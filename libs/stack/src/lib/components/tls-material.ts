import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingPrerequisiteError } from '../errors';
import { runToCompletion } from '../processes';

export interface TlsMaterial {
  /** The stack's own CA: what a client trusts (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** The broker's PKCS#8 key followed by its certificate chain: a Kafka PEM keystore. */
  keystoreFile: string;
}

/** Host names the broker certificate holds, so hostname verification passes locally and in compose. */
const SUBJECT_ALT_NAMES = 'DNS:localhost,IP:127.0.0.1,DNS:kafka';

/**
 * A CA and a broker certificate it signed, made once per stack directory with openssl
 * (EC P-256: milliseconds) and kept, so later starts cost nothing.
 */
export function ensureTlsMaterial(stackDir: string): TlsMaterial {
  const dir = join(stackDir, 'tls');
  const material = { caFile: join(dir, 'ca.pem'), keystoreFile: join(dir, 'broker-keystore.pem') };
  if (existsSync(material.caFile) && existsSync(material.keystoreFile)) return material;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const openssl = (args: string[]) => {
    try {
      return runToCompletion('openssl', args, { cwd: dir });
    } catch (error) {
      if (error instanceof Error && /could not run/.test(error.message)) throw new MissingPrerequisiteError('openssl not found: install it (it makes the local CA and broker certificate of the SASL_SSL listener)');
      throw error;
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=pipeline local stack CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'broker.ext'), `subjectAltName=${SUBJECT_ALT_NAMES}\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '825', '-extfile', 'broker.ext']);
  // Kafka reads a PEM keystore as the private key (PKCS#8, unencrypted) followed by the chain.
  const key = openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'broker.key']);
  const chain = openssl(['x509', '-in', 'broker.pem']) + openssl(['x509', '-in', 'ca.pem']);
  writeFileSync(material.keystoreFile, key + chain, { mode: 0o600 });
  return material;
}
