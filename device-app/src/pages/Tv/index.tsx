/**
 * Sign in a TV (RFC 8628): the user types the code the TV shows, or scans its QR code, and the
 * app opens the provider's verification page with it, where the user confirms and approves.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import './style.css';
import { useRef, useState } from 'preact/hooks';
import { Icon } from '../../components/Icon.tsx';
import { Notice } from '../../components/Notice.tsx';
import { host } from '../../lib/format.ts';
import { useEnrolled } from '../../lib/use-app.ts';
import { qrScanSupported, useQrScanner } from '../../lib/use-qr-scanner.ts';
import { useTitle } from '../../lib/use-title.ts';

/** Letters and digits only, upper case, grouped as XXXX-XXXX when 8 long. */
export function normalizeCode(input: string): string {
  const raw = input
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, 12);
  return raw.length > 4 && raw.length <= 8 ? `${raw.slice(0, 4)}-${raw.slice(4)}` : raw;
}

/** The user code in a scanned QR: a verification URL's `user_code`, or the bare code. */
function codeFromScan(text: string): string | undefined {
  try {
    const url = new URL(text);
    const code = url.searchParams.get('user_code');
    return code ? normalizeCode(code) : undefined;
  } catch {
    const code = normalizeCode(text);
    return code.replace('-', '').length >= 6 ? code : undefined;
  }
}

export function Tv() {
  useTitle('Sign in a TV');
  const { config } = useEnrolled();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [found, setFound] = useState<string>();
  const [scanning, setScanning] = useState(false);
  const continueRef = useRef<HTMLButtonElement>(null);
  const verification = config.device_verification_uri ?? `${config.issuer.replace(/\/+$/, '')}/device`;

  const scanner = useQrScanner(scanning, (text) => {
    setScanning(false);
    const c = codeFromScan(text);
    if (!c) {
      setError('That QR code doesn’t hold a TV sign-in code. Type the code instead.');
      return;
    }
    setCode(c);
    setFound(c);
    setError(undefined);
    setTimeout(() => continueRef.current?.focus(), 0);
  });

  function submit(e: Event) {
    e.preventDefault();
    const c = normalizeCode(code);
    if (c.replace('-', '').length < 6) {
      setError('Enter the whole code shown on the TV, for example WDJB-MJHT.');
      return;
    }
    const url = new URL(verification);
    url.searchParams.set('user_code', c);
    location.assign(url.href);
  }

  return (
    <div class="tv">
      <h1>Sign in a TV</h1>
      <p class="lead">Your TV or other device shows a short code. Enter it here, then confirm it on the next page.</p>

      <form class="card" onSubmit={submit} noValidate>
        <label for="tv-code">Code shown on the TV</label>
        <p class="hint" id="tv-code-hint">
          8 letters, like WDJB-MJHT.
        </p>
        <input
          id="tv-code"
          name="user_code"
          class="code-input"
          type="text"
          value={code}
          required
          inputMode="text"
          autoCapitalize="characters"
          autoComplete="off"
          autoCorrect="off"
          spellcheck={false}
          aria-describedby={`tv-code-hint${error ? ' tv-code-error' : ''}`}
          aria-invalid={error ? true : undefined}
          onInput={(e) => {
            setCode(normalizeCode((e.currentTarget as HTMLInputElement).value));
            setError(undefined);
          }}
        />
        {error && (
          <p id="tv-code-error" class="field-error" role="alert">
            <Icon name="alert" size={18} /> {error}
          </p>
        )}
        {found && !error && (
          <Notice tone="success">
            Code found: <strong>{found}</strong>. Check it matches your TV, then continue.
          </Notice>
        )}
        <button ref={continueRef} type="submit" class="btn btn-primary btn-block">
          Continue
        </button>
        <p class="fine">
          Opens <strong>{host(verification)}</strong>, where you approve the TV.
        </p>
      </form>

      {qrScanSupported() && (
        <section class="card scan" aria-labelledby="scan-title">
          <h2 id="scan-title">Or scan the QR code</h2>
          {scanning ? (
            <>
              <video ref={scanner.videoRef} class="scan-video" muted playsInline aria-label="Camera view" />
              <p role="status">{scanner.state === 'scanning' ? 'Point the camera at the QR code on the TV.' : 'Starting the camera…'}</p>
              <button type="button" class="btn btn-block" onClick={() => setScanning(false)}>
                Stop scanning
              </button>
            </>
          ) : (
            <button
              type="button"
              class="btn btn-block"
              onClick={() => {
                setFound(undefined);
                setScanning(true);
              }}
            >
              <Icon name="camera" /> Scan the QR code
            </button>
          )}
          {scanner.error && <Notice tone="warning">{scanner.error}</Notice>}
        </section>
      )}
    </div>
  );
}
