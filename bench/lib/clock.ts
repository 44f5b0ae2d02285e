/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const clock = (): number => performance.timeOrigin + performance.now();
