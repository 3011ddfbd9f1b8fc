/**
 * App write keys: how they are made, stored and checked. Pure, apart from the random source.
 *
 * A key is 32 bytes from the operating system's CSPRNG. The registry stores only its SHA-256:
 * with 256 bits of entropy no dictionary or brute-force search can find a key from its hash, so
 * a slow password KDF (bcrypt, scrypt, argon2), which exists to protect low-entropy human
 * passwords, would add nothing but milliseconds to every authentication.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Recognisable by secret scanners and by people reading logs. */
export const KEY_PREFIX = "szk_";

/** Bytes of randomness in a key. */
export const KEY_BYTES = 32;

/**
 * A new write key: `szk_` and 32 random bytes in base64url (47 characters).
 *
 * @example
 * ```ts
 * generateKey(); // "szk_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
 * ```
 */
export function generateKey(random: (size: number) => Buffer = randomBytes): string {
  return KEY_PREFIX + random(KEY_BYTES).toString("base64url");
}

/**
 * The stored form of a key: its SHA-256 (32 bytes).
 *
 * @example
 * ```ts
 * hashKey(key).length; // 32
 * ```
 */
export function hashKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/**
 * Whether a presented key matches a stored hash, in time that does not depend on where they
 * differ (hashing first makes both inputs the same length whatever the client sent).
 *
 * @example
 * ```ts
 * keyMatches(key, hashKey(key));        // true
 * keyMatches("szk_guess", hashKey(key)); // false
 * ```
 */
export function keyMatches(key: string, storedHash: Uint8Array): boolean {
  const presented = hashKey(key);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}
