import { NotAvailable, type BenchContext } from '../lib/context.ts';
export interface AppSizeResult { x: number }
export async function appSize(_ctx: BenchContext): Promise<AppSizeResult> { throw new NotAvailable('todo'); }
export function printAppSize(_r: AppSizeResult): string { return ''; }
