import { NotAvailable, type BenchContext } from '../lib/context.ts';
export interface ScaleResult { x: number }
export async function scale(_ctx: BenchContext): Promise<ScaleResult> { throw new NotAvailable('todo'); }
export function printScale(_r: ScaleResult): string { return ''; }
