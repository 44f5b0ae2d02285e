import { NotAvailable, type BenchContext } from '../lib/context.ts';
export interface RoundTripResult { x: number }
export async function roundTrip(_ctx: BenchContext): Promise<RoundTripResult> { throw new NotAvailable('todo'); }
export function printRoundTrip(_r: RoundTripResult): string { return ''; }
