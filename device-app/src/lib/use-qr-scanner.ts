/**
 * Reads a QR code from the camera with the browser's BarcodeDetector (Chromium on Android,
 * ChromeOS, macOS). Where it is missing, the TV screen offers typing only.
 * @see https://wicg.github.io/shape-detection-api/#barcode-detection-api
 */
import { useEffect, useRef, useState } from 'preact/hooks';

interface DetectedBarcode {
  readonly rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = new (options: { formats: string[] }) => BarcodeDetectorLike;

function detectorClass(): BarcodeDetectorCtor | undefined {
  return (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
}

export function qrScanSupported(): boolean {
  return Boolean(detectorClass() && navigator.mediaDevices?.getUserMedia);
}

export type ScanState = 'idle' | 'starting' | 'scanning' | 'error';

/** Starts the camera into `videoRef` while `active`, calling `onResult` with the first QR text. */
export function useQrScanner(active: boolean, onResult: (text: string) => void) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<ScanState>('idle');
  const [error, setError] = useState<string>();

  useEffect(() => {
    const Detector = detectorClass();
    if (!active || !Detector) {
      setState('idle');
      return;
    }
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let done = false;
    setState('starting');
    setError(undefined);
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
        if (done) return;
        const video = videoRef.current!;
        video.srcObject = stream;
        await video.play();
        setState('scanning');
        const detector = new Detector({ formats: ['qr_code'] });
        timer = setInterval(async () => {
          if (done || video.readyState < 2) return;
          const codes = await detector.detect(video).catch(() => []);
          if (codes[0] && !done) {
            done = true;
            onResult(codes[0].rawValue);
          }
        }, 250);
      } catch (e) {
        setState('error');
        setError(
          (e as Error).name === 'NotAllowedError'
            ? 'Camera access was not allowed. Type the code instead.'
            : 'The camera could not be started. Type the code instead.',
        );
      }
    })();
    return () => {
      done = true;
      clearInterval(timer);
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
  }, [active]);

  return { videoRef, state, error };
}
