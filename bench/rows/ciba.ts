import { NotAvailable, type BenchContext, type CompareRow } from '../lib/context.ts';
export async function cibaRows(_ctx: BenchContext): Promise<CompareRow[]> { throw new NotAvailable('todo'); }
