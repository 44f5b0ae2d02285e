/** The one stylesheet of the provider's pages, served at STYLESHEET_PATH (CSP: style-src 'self'). */
import type { RequestHandler } from 'express';
import { assetEndpoint } from './assets.ts';

export const STYLESHEET_PATH = '/assets/nod.css';

const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--text:#14213d;--muted:#5b6475;--accent:#1d4ed8;--accent-text:#fff;--border:#d5dbe5;--danger:#b42318;--ok:#067647;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f172a;--card:#1e293b;--text:#e2e8f0;--muted:#94a3b8;--accent:#60a5fa;--accent-text:#0f172a;--border:#334155;--danger:#f97066;--ok:#47cd89}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font-size:1rem;line-height:1.5}
.brand{display:flex;align-items:center;gap:.5rem;padding:1rem 1.25rem;font-weight:700;font-size:1.125rem}
.logo{display:inline-grid;place-items:center;width:2rem;height:2rem;border-radius:.5rem;background:var(--accent);color:var(--accent-text)}
main{max-width:28rem;margin:0 auto;padding:0 1rem 2rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:1rem;padding:1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h1{font-size:1.5rem;margin:0 0 .5rem}
p{margin:.5rem 0}
.muted{color:var(--muted)}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;font-size:1.125rem;padding:.75rem;border:1px solid var(--border);border-radius:.5rem;background:var(--bg);color:var(--text)}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.code-input{text-transform:uppercase;letter-spacing:.2em;font-family:ui-monospace,Menlo,monospace;text-align:center}
.actions{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}
button{flex:1 1 8rem;font-size:1.0625rem;font-weight:600;padding:.8rem 1rem;border-radius:.6rem;border:1px solid var(--accent);cursor:pointer;min-height:3rem}
button.primary{background:var(--accent);color:var(--accent-text)}
button.secondary{background:transparent;color:var(--text);border-color:var(--border)}
.error{color:var(--danger);font-weight:600}
.error::before{content:"⚠ "}
.ok{color:var(--ok);font-weight:600}
.ok::before{content:"✓ "}
ul.scopes{padding-left:1.25rem}
ul.scopes li{margin:.25rem 0}
.code{font-family:ui-monospace,Menlo,monospace;font-size:1.75rem;letter-spacing:.15em;text-align:center;padding:.75rem;border:2px dashed var(--border);border-radius:.75rem;margin:1rem 0;word-break:break-all}
.client{font-weight:700}
a{color:var(--accent)}
.small{font-size:.875rem}
.hint{margin:.375rem 0 0;font-size:.875rem}
h2.subhead{font-size:1rem;margin:1.25rem 0 .25rem}
.lead{font-weight:600}
.details{margin:1rem 0}
.detail{border:2px solid var(--accent);border-radius:.75rem;padding:.75rem 1rem;margin:.75rem 0}
.detail-title{margin:0;font-size:.875rem;font-weight:700;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.detail-headline{margin:.25rem 0;font-size:2rem;font-weight:750;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.detail dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:.5rem 0 0}
.detail dt{color:var(--muted)}
.detail dd{margin:0;font-weight:600;overflow-wrap:anywhere}
`;

export function stylesheetEndpoint(): RequestHandler {
  return assetEndpoint('text/css', CSS);
}
