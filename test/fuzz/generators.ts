/**
 * fast-check generators of hostile and careless HTTP/1.1 requests for one route: malformed and
 * duplicated parameters, 2 MB bodies, deep JSON, unicode and control characters, wrong methods
 * and content types, bad Authorization headers (alg=none JWTs, garbage Basic), very long URLs,
 * odd headers (Range, Upgrade, Expect, Transfer-Encoding with malformed chunk sizes, duplicated
 * Content-Length). A case is a small description; `render` makes its exact bytes, which go out
 * over a raw socket (http.request refuses to send most of them).
 *
 * Every request is complete: a body always matches its framing (or its framing is broken in a way
 * the server sees at once), so the only way a case waits is a server that does not answer.
 */
import fc from 'fast-check';
import type { FuzzRoute } from './routes.ts';

export type Framing = 'none' | 'length' | 'chunked' | 'bad-chunk' | 'dup-length';

export interface FuzzCase {
  readonly method: string;
  /** The request-target, as sent. */
  readonly target: string;
  readonly version: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body: text (sent as UTF-8), or `big` bytes of filler. */
  readonly body: { readonly text: string } | { readonly big: number };
  readonly framing: Framing;
  /** The chunk-size line of a bad-chunk body; the Content-Length values of a dup-length one. */
  readonly broken?: string;
}

/** Requests this big test the body limits (64 KB at the provider, 32 KB at the entity). */
export const BIG_BODY = 2 * 1024 * 1024;

const b64url = (s: string) => Buffer.from(s).toString('base64url');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const jwt = (header: object | string, claims: object | string, sig = '') =>
  `${b64url(typeof header === 'string' ? header : JSON.stringify(header))}.${b64url(typeof claims === 'string' ? claims : JSON.stringify(claims))}.${sig}`;

const KNOWN_VALUES = [
  'demo-bank',
  'demo-bank-secret',
  'demo-web',
  'demo-web-secret',
  'demo-service',
  'demo-tv',
  'demo-spa',
  'alice',
  'bob',
  'password',
  'openid',
  'openid profile email offline_access',
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  'code',
  'id_token',
  'code id_token',
  'form_post',
  'query',
  'fragment',
  'S256',
  'plain',
  'access_token',
  'login',
  'consent',
  'none',
  'approve',
  'deny',
  'approved',
  'denied',
  'http://localhost:8080/callback',
  'http://127.0.0.1:8080/callback',
  'https://evil.example/cb',
  'javascript:alert(1)',
  '[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"1"}}]',
  '[{"type":"x","actions":[1,2,3]}]',
  '{"userinfo":{"email":null}}',
  '00000000-0000-0000-0000-000000000000',
  'ABCD-EFGH',
  'BCDF-GHJK',
  '120',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'NaN',
  'true',
  'null',
  '__proto__',
  'constructor',
  'toString',
  '',
  ' ',
  '%',
  '%zz',
  '%00',
  '%C0%AE%C0%AE',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '"\'><img src=x>',
];

/** JWTs a careless or hostile client sends: alg=none, garbage, wrong shapes. */
const jwtArb = fc.oneof(
  fc.constantFrom(
    jwt({ alg: 'none', typ: 'JWT' }, { iss: 'http://127.0.0.1', sub: 'alice', aud: 'demo-bank', exp: 9999999999 }),
    jwt({ alg: 'none' }, { sub: 'x' }, 'sig'),
    jwt({ alg: 'HS256', typ: 'JWT' }, { iss: 'demo-bank', sub: 'demo-bank', aud: 'x' }, 'AAAA'),
    jwt({ alg: 'RS256', kid: '../../etc/passwd' }, { iss: 'x' }, 'AAAA'),
    jwt({ alg: 'ES256', jku: 'http://127.0.0.1:1/jwks', kid: 'x' }, {}, 'AAAA'),
    jwt({ alg: 'none', crit: ['exp'] }, '[]'),
    jwt('not json', 'not json', 'x'),
    jwt({ alg: 'RS256' }, { exp: '1e309', nbf: [], iat: {} }, '!!'),
    'a.b.c',
    '...',
    'eyJ.eyJ.',
    'e30.e30.',
    'e30.e30.e30.e30.e30',
  ),
  fc
    .record({
      alg: fc.constantFrom('none', 'None', 'NONE', 'HS256', 'RS256', 'EdDSA', ''),
      claims: fc.dictionary(fc.constantFrom('iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'azp'), fc.jsonValue({ maxDepth: 2 })),
    })
    .map(({ alg, claims }) => jwt({ alg }, claims)),
);

/** Strings with control characters, lone surrogates and other trouble. */
const nastyStringArb = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
  fc.constantFrom('\u0000', '\u202e', '\ufeff', '\uffff', '\u2028\u2029', 'é', '𝒜', '👍🏽', 'ß', 'İ', '\u0301\u0301\u0301'),
);

const valueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_VALUES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: nastyStringArb },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 20_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 2, arbitrary: jwtArb },
);

const nameArb = (route: FuzzRoute): fc.Arbitrary<string> =>
  route.params.length > 0
    ? fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...route.params) }, { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), nastyStringArb) })
    : fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a', 'x', '__proto__'));

/** Parameters: known names (often repeated, so duplicated), odd names, odd values. */
const paramsArb = (route: FuzzRoute) => fc.array(fc.tuple(nameArb(route), valueArb), { maxLength: 8 });

/** Every byte of the UTF-8 form percent-encoded (lone surrogates, which encodeURIComponent refuses, become U+FFFD). */
const percent = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** One parameter list as a query or form string; sometimes with broken percent-encoding or separators. */
const encodeArb = (params: Array<[string, string]>) =>
  fc.constantFrom('clean', 'raw', 'broken').map((how) => {
    if (how === 'clean') return new URLSearchParams(params).toString();
    if (how === 'raw') return params.map(([k, v]) => `${k}=${v}`).join('&');
    return params.map(([k, v]) => `${percent(k)}=${percent(v)}%${'&;='.charAt(k.length % 3)}%%`).join('&&');
  });

const jsonBody = (params: Array<[string, string]>) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of params) o[k] = v;
  return JSON.stringify(o);
};

/** JSON a careless or hostile client sends. */
const jsonArb = (route: FuzzRoute) =>
  fc.oneof(
    { weight: 5, arbitrary: paramsArb(route).map(jsonBody) },
    { weight: 3, arbitrary: fc.dictionary(nameArb(route), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 10, max: 20_000 }), fc.boolean())
        .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":',
        '{"a":1,}',
        "{'a':1}",
        '{"__proto__":{"admin":true}}',
        '{"constructor":{"prototype":{"x":1}}}',
        '{"a":"\\ud800"}',
        '{"a":1e999999}',
        '\ufeff{}',
        'null',
        '""',
        '[]',
        '{"a":1,"a":2}',
      ),
    },
  );

type Auth = ReadonlyArray<readonly [string, string]>;
const header = (value: string): Auth => [['Authorization', value]];

/**
 * Placeholders for live credentials and ids of the fuzz target (target.ts makes them), put in a
 * case's Authorization header and path and replaced when it is sent (withFixtures), so that a
 * case's seed still gives the same case while it reaches behind authentication.
 */
export const FIXTURES = ['access', 'device', 'other_device', 'request', 'delegation'] as const;
export type Fixtures = Readonly<Record<(typeof FIXTURES)[number], string>>;
const fixture = (name: (typeof FIXTURES)[number]) => `{{${name}}}`;

/** Live bearer tokens for a bearer route: the entity's device session, delegation and enrollment tokens; the provider's access token. */
const liveBearerArb = (route: FuzzRoute): fc.Arbitrary<Auth> =>
  (route.target === 'entity'
    ? fc.constantFrom(fixture('device'), fixture('device'), fixture('device'), fixture('access'), fixture('delegation'))
    : fc.constant(fixture('access'))
  ).map((t) => header(`Bearer ${t}`));

/** The case with its placeholders replaced by `fixtures` (cases without any come back as they are). */
export function withFixtures(c: FuzzCase, fixtures: Fixtures | undefined): FuzzCase {
  if (!fixtures) return c;
  const fill = (text: string) => text.replace(/\{\{([a-z_]+)\}\}/g, (whole, name: string) => (fixtures as Record<string, string>)[name] ?? whole);
  return { ...c, target: fill(c.target), headers: c.headers.map(([n, v]) => [n, fill(v)] as const) };
}

/** Authorization headers: none, live bearer tokens (bearer routes), the right client, garbage Basic, bad bearer tokens, two at once. */
const authArb = (route: FuzzRoute): fc.Arbitrary<Auth> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as Auth) },
    { weight: route.auth === 'bearer' ? 6 : 0, arbitrary: liveBearerArb(route) },
    {
      weight: route.auth === 'client' ? 4 : 1,
      arbitrary: fc
        .constantFrom('demo-bank:demo-bank-secret', 'demo-web:demo-web-secret', 'demo-service:demo-service-secret', 'demo-tv:')
        .map((c) => header(`Basic ${b64(c)}`)),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            'Basic',
            'Basic ',
            'Basic :',
            'Basic %%%%',
            'Basic ====',
            'basic ZGVtbw==',
            `Basic ${b64(':')}`,
            `Basic ${b64('demo-bank')}`,
            `Basic ${b64('demo-bank:wrong')}`,
            `Basic ${b64('%zz:%zz')}`,
          ),
          fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `Basic ${b64(s)}`),
          fc.string({ maxLength: 40 }).map((s) => `Basic ${s}`),
        )
        .map(header),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(jwtArb, fc.string({ maxLength: 60 }), fc.constantFrom('', ' ', 'null', 'A'.repeat(9000))).map((t) => header(`Bearer ${t}`)),
    },
    { weight: 1, arbitrary: fc.constantFrom('DPoP x', 'Negotiate YII=', 'Digest username="a"', 'Bearer', 'bearer  x', '\u0001').map(header) },
    {
      weight: 1,
      arbitrary: fc.constant([
        ['Authorization', `Basic ${b64('demo-bank:demo-bank-secret')}`],
        ['Authorization', 'Bearer x'],
      ] as Auth),
    },
  );

/** Header values must not carry CR or LF (they would split the request into another one the case did not mean). */
const headerValueArb = fc
  .oneof(fc.string({ maxLength: 40 }), nastyStringArb, fc.string({ unit: 'binary', maxLength: 20 }))
  .map((s) => s.replace(/[\r\n]/g, ' '));

/** Odd headers, 0 to 3 of them. */
const oddHeaderArb: fc.Arbitrary<Auth> = fc.oneof(
  fc
    .constantFrom(
      'bytes=999999999999-',
      'bytes=0-0',
      'bytes=-1',
      'bytes=5-1',
      'bytes=0-1,2-3,4-5',
      'bytes=',
      'pages=1-2',
      'bytes=-0',
      `bytes=${'0-1,'.repeat(300)}0-1`,
      'bytes=18446744073709551616-',
    )
    .map((r) => [['Range', r]] as Auth),
  fc.constantFrom('h2c', 'websocket', 'garbage', 'HTTP/2.0', 'h2c, websocket').map(
    (u) =>
      [
        ['Connection', 'Upgrade'],
        ['Upgrade', u],
      ] as Auth,
  ),
  fc.constant([
    ['Connection', 'Upgrade, HTTP2-Settings'],
    ['Upgrade', 'h2c'],
    ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
  ] as Auth),
  fc.constantFrom('100-continue', 'garbage', '100-continue, x').map((e) => [['Expect', e]] as Auth),
  fc.constantFrom('text/html', 'application/json', '*/*', 'garbage', 'text/html;q=0', '').map((a) => [['Accept', a]] as Auth),
  fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus', 'gzip, gzip').map((e) => [['Content-Encoding', e]] as Auth),
  fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1', '').map((o) => [['Origin', o]] as Auth),
  fc.constantFrom('*', 'W/"x"', '"abc"', 'garbage').map((v) => [['If-None-Match', v]] as Auth),
  fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', 'Sat, 01 Jan 2100 00:00:00 GMT').map((v) => [['If-Modified-Since', v]] as Auth),
  fc.constantFrom('nod_session=x', 'nod_session=%zz; a=b; =;', `x=${'y'.repeat(7000)}`, 'a').map((v) => [['Cookie', v]] as Auth),
  fc.constantFrom('garbage', '1.2.3.4, ::1, x', '').map((v) => [['X-Forwarded-For', v]] as Auth),
  fc.constantFrom('https', 'gopher', '').map((v) => [['X-Forwarded-Proto', v]] as Auth),
  fc.constant([['Host', 'second.example']] as Auth),
  fc.constantFrom('', 'a b', 'evil.example:99999', '[::1', `${'h'.repeat(300)}.example`).map((v) => [['X-Host-Override', v]] as Auth),
  fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), headerValueArb).map(([n, v]) => [[n, v]] as Auth),
  fc.integer({ min: 50, max: 150 }).map((n) => Array.from({ length: n }, (_, i) => [`X-Many-${i}`, 'v'] as const)),
  fc.constant([['X-Huge', 'h'.repeat(20_000)]] as Auth),
);

const ODD_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'FOO', 'post', 'PROPFIND', 'M-SEARCH'];

const CONTENT_TYPES = [
  'text/plain',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/x-www-form-urlencoded; charset=garbage',
  'application/x-www-form-urlencoded;;;',
  'application/xml',
  'garbage',
  '',
  '*/*',
];

/** A path segment for `:id`: plausible ids, traversal, encodings, very long. */
const idArb = fc.oneof(
  fc.uuid().map(String),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '..%2f..%2fetc%2fpasswd',
    '%00',
    '%zz',
    '%',
    'index.html',
    'sw.js',
    'assets',
    'assets/..%2f..%2fpackage.json',
    'a/b/c',
    '~',
    '%F0%9F%98%80',
    '%E0%A4%A',
  ),
  fc.integer({ min: 1000, max: 9000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 12 }).map(percent),
);

/** The request-target: the route's path with odd twists, and sometimes a query. */
const targetArb = (route: FuzzRoute) =>
  fc
    .record({
      // On the entity, often a live id: a pending request of the fixtures' user, or that user's other device.
      id: fc.oneof(
        { weight: 3, arbitrary: idArb },
        { weight: route.target === 'entity' && route.path.includes(':id') ? 3 : 0, arbitrary: fc.constantFrom(fixture('request'), fixture('other_device')) },
      ),
      twist: fc.oneof(
        { weight: 12, arbitrary: fc.constant('none') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('slash', 'double', 'upper', 'dots', 'nul', 'semicolon', 'long', 'absolute', 'asterisk', 'fragment', 'highbyte', 'space'),
        },
      ),
    })
    .map(({ id, twist }) => {
      const path = route.path.replace(':id', id);
      switch (twist) {
        case 'slash':
          return `${path}/`;
        case 'double':
          return `/${path}`;
        case 'upper':
          return path.toUpperCase();
        case 'dots':
          return `${path}/..%2f..%2f`;
        case 'nul':
          return `${path}%00`;
        case 'semicolon':
          return `${path};jsessionid=x`;
        case 'long':
          return `${path}/${'a'.repeat(8192)}`;
        case 'absolute':
          return `http://evil.example${path}`;
        case 'asterisk':
          return '*';
        case 'fragment':
          return `${path}#frag`;
        case 'highbyte':
          return `${path}\u00ff\u00e9`;
        case 'space':
          return `${path}\tx`;
        default:
          return path;
      }
    });

export const caseArb = (route: FuzzRoute): fc.Arbitrary<FuzzCase> =>
  fc
    .record({
      method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...route.methods) }, { weight: 2, arbitrary: fc.constantFrom(...ODD_METHODS) }),
      target: targetArb(route),
      query: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: paramsArb(route).chain(encodeArb) }),
      longQuery: fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 4000, max: 70_000 }) }),
      form: paramsArb(route).chain(encodeArb),
      json: jsonArb(route),
      raw: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), nastyStringArb),
      bodyKind: fc.oneof(
        { weight: 10, arbitrary: fc.constant('carrier' as const) },
        { weight: 2, arbitrary: fc.constantFrom('form', 'json', 'raw', 'empty') },
        { weight: 1, arbitrary: fc.constant('big' as const) },
      ),
      contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('right') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES, 'none', 'twice') }),
      auth: authArb(route),
      odd: fc.array(oddHeaderArb, { maxLength: 3 }),
      framing: fc.oneof(
        { weight: 14, arbitrary: fc.constant('length' as const) },
        { weight: 2, arbitrary: fc.constant('chunked' as const) },
        { weight: 2, arbitrary: fc.constant('bad-chunk' as const) },
        { weight: 1, arbitrary: fc.constant('dup-length' as const) },
      ),
      badChunk: fc.constantFrom('1ffffffffffffffff', 'ffffffffffffffffffff', 'zz', '-1', '0x10', ' 5', '5;ext=\u0001', '', '5 5', '\u00ff'),
      dupLength: fc.constantFrom('same', 'different', 'list', 'negative', 'huge', 'plus'),
      version: fc.oneof(
        { weight: 30, arbitrary: fc.constant('HTTP/1.1') },
        { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x', 'http/1.1') },
      ),
      websocket: fc.oneof({ weight: route.websocket ? 6 : 0, arbitrary: fc.constant(true) }, { weight: 4, arbitrary: fc.constant(false) }),
      wsKey: fc.oneof(
        fc.constant('dGhlIHNhbXBsZSBub25jZQ=='),
        fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
      ),
      wsVersion: fc.constantFrom('13', '13', '8', 'x', ''),
    })
    .map((g): FuzzCase => {
      const method = g.method;
      const bodyless = method === 'GET' || method === 'HEAD';
      const kind = g.bodyKind === 'carrier' ? (bodyless || route.carrier === 'query' || route.carrier === 'none' ? 'empty' : route.carrier) : g.bodyKind;
      let target = g.target;
      const query = g.query ?? (bodyless && route.carrier === 'form' ? g.form : undefined);
      if (query !== undefined && g.target !== '*') target += `${target.includes('?') ? '&' : '?'}${query}`;
      if (g.longQuery) target += `${target.includes('?') ? '&' : '?'}q=${'%41'.repeat(Math.floor(g.longQuery / 3))}`;
      const headers: Array<readonly [string, string]> = [['Host', '127.0.0.1']];
      const type = kind === 'json' ? 'application/json' : kind === 'form' ? 'application/x-www-form-urlencoded' : 'text/plain';
      if (kind !== 'empty') {
        if (g.contentType === 'right') headers.push(['Content-Type', type]);
        else if (g.contentType === 'twice') headers.push(['Content-Type', type], ['Content-Type', 'text/plain']);
        else if (g.contentType !== 'none') headers.push(['Content-Type', g.contentType]);
      }
      headers.push(...g.auth);
      for (const h of g.odd) headers.push(...h);
      if (g.websocket)
        headers.push(['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Key', g.wsKey], ['Sec-WebSocket-Version', g.wsVersion]);
      const body = kind === 'big' ? { big: BIG_BODY } : { text: kind === 'form' ? g.form : kind === 'json' ? g.json : kind === 'raw' ? g.raw : '' };
      const framing: Framing = kind === 'empty' && g.framing === 'length' ? 'none' : g.framing;
      const broken = framing === 'bad-chunk' ? g.badChunk : framing === 'dup-length' ? g.dupLength : undefined;
      return { method, target, version: g.version, headers, body, framing, ...(broken !== undefined ? { broken } : {}) };
    });

/** The body's bytes. */
function bodyBytes(c: FuzzCase): Buffer {
  if ('big' in c.body) return Buffer.alloc(c.body.big, 'a=b&');
  return Buffer.from(c.body.text, 'utf8');
}

/** Content-Length values of a dup-length case, by its `broken` kind. */
function dupLengths(kind: string | undefined, n: number): string[] {
  switch (kind) {
    case 'same':
      return [String(n), String(n)];
    case 'different':
      return [String(n), String(n + 1)];
    case 'list':
      return [`${n}, ${n}`];
    case 'negative':
      return ['-1'];
    case 'huge':
      return ['99999999999999999999999'];
    default:
      return [`+${n}`];
  }
}

/** The exact bytes of a case: request line, headers (latin1, as HTTP/1.1 sends them), framing, body. */
export function render(c: FuzzCase): Buffer {
  const body = bodyBytes(c);
  const headers = [...c.headers];
  if (!headers.some(([n]) => n.toLowerCase() === 'connection')) headers.push(['Connection', 'close']);
  let payload: Buffer = body;
  switch (c.framing) {
    case 'none':
      break;
    case 'length':
      headers.push(['Content-Length', String(body.length)]);
      break;
    case 'dup-length':
      for (const v of dupLengths(c.broken, body.length)) headers.push(['Content-Length', v]);
      break;
    case 'chunked':
    case 'bad-chunk': {
      headers.push(['Transfer-Encoding', 'chunked']);
      const parts: Buffer[] = [];
      const size = Math.max(1, Math.ceil(body.length / 3));
      for (let i = 0; i < body.length; i += size) {
        const chunk = body.subarray(i, i + size);
        parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      }
      // The broken chunk goes between two whole chunks; its data is no hex number, so it can never pass for a size line.
      if (c.framing === 'bad-chunk') parts.splice(Math.min(3, parts.length), 0, Buffer.from(`${c.broken}\r\nzzzzz\r\n`, 'latin1'));
      parts.push(Buffer.from('0\r\n\r\n'));
      payload = Buffer.concat(parts);
      break;
    }
  }
  const head = `${c.method} ${c.target} ${c.version}\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** A case as one shell line that replays it: printf '...' | nc host port. */
export function replayLine(bytes: Buffer, port: number): string {
  const shown = bytes.length > 4096 ? Buffer.concat([bytes.subarray(0, 4096)]) : bytes;
  const escaped = [...shown]
    .map((b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x25 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`))
    .join('');
  return `printf '${escaped}'${bytes.length > shown.length ? ` # …${bytes.length - shown.length} more bytes (see the JSON form)` : ''} | nc -q 10 127.0.0.1 ${port}`;
}
