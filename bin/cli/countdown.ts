/**
 * A live spinner with the time left, on stderr, while a command waits for the user. On a
 * terminal it redraws one line; otherwise (pipes, CI, tests) it prints a line now and then.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Countdown {
  /** Changes the waiting text (e.g. once a notification arrived). */
  update(label: string): void;
  /** Stops and clears the line. */
  stop(): void;
}

/** m:ss */
export function formatRemaining(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Starts the countdown to `expiresAt` (ms since epoch). */
export function startCountdown(label: string, expiresAt: number, stream: NodeJS.WriteStream = process.stderr): Countdown {
  const tty = stream.isTTY === true;
  let frame = 0;
  let lastPlain = 0;
  const draw = () => {
    const left = formatRemaining((expiresAt - Date.now()) / 1000);
    if (tty) {
      stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label} ${left} left`);
    } else if (Date.now() - lastPlain >= 30_000) {
      lastPlain = Date.now();
      stream.write(`${label} ${left} left\n`);
    }
  };
  draw();
  const timer = setInterval(draw, tty ? 100 : 1000);
  timer.unref();
  return {
    update(next) {
      label = next;
      lastPlain = 0;
      draw();
    },
    stop() {
      clearInterval(timer);
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
