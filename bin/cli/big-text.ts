/**
 * Short codes in large block letters, so a person across the room (or on the phone) can read
 * them. Letters, digits and '-' only; anything else (or too wide for the terminal) is shown in
 * a plain box instead.
 */
const FONT: Record<string, string> = {
  A: ' ### |#   #|#####|#   #|#   #',
  B: '#### |#   #|#### |#   #|#### ',
  C: ' ####|#    |#    |#    | ####',
  D: '#### |#   #|#   #|#   #|#### ',
  E: '#####|#    |#### |#    |#####',
  F: '#####|#    |#### |#    |#    ',
  G: ' ####|#    |#  ##|#   #| ####',
  H: '#   #|#   #|#####|#   #|#   #',
  I: '#####|  #  |  #  |  #  |#####',
  J: '#####|   # |   # |#  # | ##  ',
  K: '#   #|#  # |###  |#  # |#   #',
  L: '#    |#    |#    |#    |#####',
  M: '#   #|## ##|# # #|#   #|#   #',
  N: '#   #|##  #|# # #|#  ##|#   #',
  O: ' ### |#   #|#   #|#   #| ### ',
  P: '#### |#   #|#### |#    |#    ',
  Q: ' ### |#   #|# # #|#  # | ## #',
  R: '#### |#   #|#### |#  # |#   #',
  S: ' ####|#    | ### |    #|#### ',
  T: '#####|  #  |  #  |  #  |  #  ',
  U: '#   #|#   #|#   #|#   #| ### ',
  V: '#   #|#   #|#   #| # # |  #  ',
  W: '#   #|#   #|# # #|## ##|#   #',
  X: '#   #| # # |  #  | # # |#   #',
  Y: '#   #| # # |  #  |  #  |  #  ',
  Z: '#####|   # |  #  | #   |#####',
  '0': ' ### |#  ##|# # #|##  #| ### ',
  '1': '  #  | ##  |  #  |  #  | ### ',
  '2': ' ### |#   #|  ## | #   |#####',
  '3': '#### |    #| ### |    #|#### ',
  '4': '#   #|#   #|#####|    #|    #',
  '5': '#####|#    |#### |    #|#### ',
  '6': ' ### |#    |#### |#   #| ### ',
  '7': '#####|    #|   # |  #  |  #  ',
  '8': ' ### |#   #| ### |#   #| ### ',
  '9': ' ### |#   #| ####|    #| ### ',
  '-': '     |     |#####|     |     ',
  ' ': '   |   |   |   |   ',
};

/** The text as five lines of block letters, or undefined when it cannot be drawn in `width` columns. */
export function blockLetters(text: string, width: number): string[] | undefined {
  const glyphs = [...text.toUpperCase()].map((c) => FONT[c]?.split('|'));
  if (glyphs.length === 0 || glyphs.some((g) => g === undefined)) return undefined;
  const rows = [0, 1, 2, 3, 4].map((r) => glyphs.map((g) => g![r]!.replaceAll('#', '█')).join('  '));
  return rows[0]!.length + 4 > width ? undefined : rows;
}

/** The text big: block letters when possible, else framed in a box. */
export function bigText(text: string, width = process.stdout.columns || 80): string {
  const rows = blockLetters(text, width);
  if (rows) return ['', ...rows.map((r) => `  ${r}`), ''].join('\n');
  const inner = `  ${text}  `;
  const bar = '─'.repeat([...inner].length);
  return [`  ┌${bar}┐`, `  │${inner}│`, `  └${bar}┘`].join('\n');
}

/**
 * Several short texts big, side by side with a label over each (the binding message and the
 * number-matching number), or one under the other when they do not fit `width` together.
 */
export function bigSideBySide(items: ReadonlyArray<{ readonly label: string; readonly text: string }>, width = process.stdout.columns || 80): string {
  const GAP = '      ';
  const blocks = items.map((i) => blockLetters(i.text, width));
  if (items.length > 1 && blocks.every((b) => b !== undefined)) {
    const widths = blocks.map((b, i) => Math.max([...b![0]!].length, items[i]!.label.length));
    const row = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join(GAP)}`.trimEnd();
    const lines = [row(items.map((i) => i.label)), '', ...[0, 1, 2, 3, 4].map((r) => row(blocks.map((b) => b![r]!)))];
    if (Math.max(...lines.map((l) => [...l].length)) <= width) return ['', ...lines, ''].join('\n');
  }
  return items.map((i) => `  ${i.label}\n${bigText(i.text, width)}`).join('\n');
}
