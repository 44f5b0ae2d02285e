/** Time as the protocols count it. */

/** Epoch seconds, whole (JWT `iat`/`exp`, stored `*_at` fields). */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
