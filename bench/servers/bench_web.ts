/** The web client of the code and refresh rows, registered alike at both providers. */
export const BENCH_WEB = {
  client_id: 'bench-web',
  client_secret: 'bench-web-secret',
  redirect_uri: 'https://rp.bench.invalid/callback',
  scope: 'openid profile offline_access api',
} as const;
