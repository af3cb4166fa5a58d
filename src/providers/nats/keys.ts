/**
 * A user string as one NATS subject token: base64url never contains `.`, `*`, `>` or spaces, which would
 * change a subject's meaning, and fits the KV key alphabet [-/_=.a-zA-Z0-9]. It is reversible, hence
 * injective. The leading letter keeps '' non-empty (an empty token is not a valid subject).
 */
export const token = (s: string) => `t${Buffer.from(s, 'utf8').toString('base64url')}`;

/**
 * The KV key of a (domain, key) pair: two tokens joined by `.`. `.` is not in the base64url alphabet, so
 * the split is unambiguous and distinct pairs never share a key, whatever characters they contain.
 */
export const pairKey = (domain: string, key: string) => `${token(domain)}.${token(key)}`;
