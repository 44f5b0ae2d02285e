/**
 * Number matching: the three numbers the entity offers, large, one of them the number the
 * requester shows. Tapping one approves with it; the entity checks the pick (a wrong one denies
 * the request and flags it). The app never knows which one is right.
 */
export function NumberPicker({
  client,
  choices,
  busy,
  picked,
  onPick,
}: {
  client: string;
  choices: readonly string[];
  /** While a pick is being sent, every number is disabled. */
  busy: boolean;
  /** The number being sent, if any. */
  picked?: string | undefined;
  onPick: (n: string) => void;
}) {
  return (
    <fieldset class="numbers" data-testid="number-picker">
      <legend class="numbers-legend">To approve, tap the number {client} shows you</legend>
      <div class="number-choices">
        {choices.map((n) => (
          <button key={n} type="button" class={`number${picked === n ? ' number-picked' : ''}`} disabled={busy} onClick={() => onPick(n)}>
            {n}
          </button>
        ))}
      </div>
      <p class="hint">{busy ? 'Checking your pick…' : `No number on ${client}’s screen, or none of these? Deny.`}</p>
    </fieldset>
  );
}
