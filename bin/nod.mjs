#!/usr/bin/env node
// The `nod` command (package.json "bin"): runs bin/nod.ts through tsx, from any directory.
import { register } from 'tsx/esm/api';

register();
await import('./nod.ts');
