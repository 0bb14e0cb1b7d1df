/**
 * Settings whose whole value is a secret: never echoed, not even in part.
 * Matched by name so a new *_PASSWORD or *_SECRET setting is covered without a list to update.
 */
export function isSecretSetting(name: string): boolean {
  return /PASSWORD|SECRET|USER_INFO|TOKEN|CREDENTIALS|API_KEY/i.test(name);
}

/** One whitespace- or quote-delimited token of a text: a URL, a host:port list, a word. */
const TOKEN = /[^\s"'<>]+/g;

function redactToken(token: string): string {
  // The host follows the last "@", so a password holding a raw "@" or "/" is hidden whole.
  const at = token.lastIndexOf('@');
  if (at < 0) return token;
  const scheme = token.indexOf('//');
  const start = scheme >= 0 && scheme < at ? scheme + 2 : 0;
  const colon = token.indexOf(':', start);
  if (colon < 0 || colon > at) return token;
  return `${token.slice(0, colon)}:***${token.slice(at)}`;
}

/**
 * Hides the password of every "user:password@" in a text (URLs in config errors, logs,
 * /health, stack status): `postgres://pipeline:***@db:5432/pipeline`. The user name stays,
 * it tells which account is meant. Works on broken URLs too, since those are the ones a
 * config error echoes.
 */
export function redactCredentials(text: string): string {
  return text.replace(TOKEN, redactToken);
}

/** How a setting's value may appear in a message: hidden when secret, with URL passwords hidden otherwise. */
export function printableSetting(name: string, value: unknown): string {
  if (isSecretSetting(name)) return '(hidden)';
  return `"${redactCredentials(String(value))}"`;
}
