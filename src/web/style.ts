// The one CSS block: system fonts, high contrast, dark by preference (3 a.m.), one column on a phone.
export const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#14171c;--mut:#5b6472;--card:#fff;--line:#d5dae1;
--ok:#137333;--run:#1a5fb4;--wait:#9a5b00;--bad:#b3261e;--rev:#6f42c1;--dim:#6b7280;--link:#0b57d0;--tint:.14}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#e7eaee;--mut:#9aa4b2;--card:#171a21;--line:#2a303b;
--ok:#5cd08a;--run:#6ea8ff;--wait:#f2b84b;--bad:#ff6b61;--rev:#b794f6;--dim:#8b93a1;--link:#8ab4ff;--tint:.2}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
header{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}
header .brand{font-weight:700;text-decoration:none;color:var(--fg)}
header .brand::before{content:"";display:inline-block;width:.65em;height:.65em;border-radius:2px;background:var(--bad);margin-right:.45em}
header nav{display:flex;gap:.9rem;flex-wrap:wrap}
header .who{margin-left:auto;color:var(--mut);font-size:.9rem;display:flex;gap:.5rem;align-items:center}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1.6rem 0 .6rem}h3{font-size:1rem;margin:1rem 0 .4rem}
section,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0 0 1rem}
section>h2:first-child,.card>h3:first-child{margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mut);font-weight:600}
td.mono{white-space:nowrap}
.scroll{overflow-x:auto}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
.mut{color:var(--mut)}.small{font-size:.85rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;
border:1px solid currentColor;background:color-mix(in srgb,currentColor calc(var(--tint)*100%),transparent)}
.ok{color:var(--ok)}.run{color:var(--run)}.wait{color:var(--wait)}.bad{color:var(--bad)}.rev{color:var(--rev)}.dim{color:var(--dim)}
.banner{padding:.6rem 1rem;font-weight:600;text-align:center;border-bottom:1px solid var(--line)}
.banner.bad{background:color-mix(in srgb,var(--bad) 18%,var(--bg))}
.banner.ok{background:color-mix(in srgb,var(--ok) 14%,var(--bg))}
.banner.wait{background:color-mix(in srgb,var(--wait) 16%,var(--bg));font-weight:400}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
form.inline{display:inline-flex;gap:.4rem;flex-wrap:wrap;align-items:center;margin:0}
button,input[type=text],input[type=password]{font:inherit;border-radius:6px;border:1px solid var(--line);padding:.45rem .8rem;background:var(--bg);color:var(--fg)}
input[type=text],input[type=password]{min-width:12rem;flex:1}
button{cursor:pointer;font-weight:600;background:var(--card)}
button.go{background:var(--ok);border-color:var(--ok);color:#fff}
button.stop{background:var(--bad);border-color:var(--bad);color:#fff}
button:disabled{opacity:.5;cursor:wait}
@media (prefers-color-scheme:dark){button.go,button.stop{color:#0f1115}}
.approval{border-left:4px solid var(--wait)}
.graph{width:100%;overflow-x:auto}
.graph svg{display:block;margin:.3rem auto;max-width:100%;height:auto}
.graph rect{fill:var(--card);stroke:var(--line);stroke-width:1.5}
.graph text{fill:var(--fg);font:13px system-ui,sans-serif}
.graph text.kind{fill:var(--mut);font-size:11px}
.graph path{fill:none;stroke:var(--mut);stroke-width:1.4}
.graph g.ok rect{stroke:var(--ok);fill:color-mix(in srgb,var(--ok) 16%,var(--card))}
.graph g.run rect{stroke:var(--run);fill:color-mix(in srgb,var(--run) 16%,var(--card))}
.graph g.wait rect{stroke:var(--wait);fill:color-mix(in srgb,var(--wait) 18%,var(--card))}
.graph g.bad rect{stroke:var(--bad);fill:color-mix(in srgb,var(--bad) 18%,var(--card))}
.graph g.rev rect{stroke:var(--rev);fill:color-mix(in srgb,var(--rev) 16%,var(--card))}
.graph g.ok text.kind{fill:var(--ok)}.graph g.run text.kind{fill:var(--run)}.graph g.wait text.kind{fill:var(--wait)}
.graph g.bad text.kind{fill:var(--bad)}.graph g.rev text.kind{fill:var(--rev)}
.graph g.run rect{animation:pulse 1.2s ease-in-out infinite}
@keyframes pulse{50%{stroke-width:3}}
@media (prefers-reduced-motion:reduce){.graph g.run rect{animation:none}}
.md img,.evidence img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
.md li.task{list-style:none}
.flash{margin:0 0 1rem;padding:.6rem 1rem;border-radius:8px;border:1px solid var(--line);background:var(--card)}
.live-note{display:none}.live-note.on{display:block}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dl.facts dt{color:var(--mut)}dl.facts dd{margin:0;display:flex;flex-wrap:wrap;gap:.25rem}
@media (max-width:640px){main{padding:.6rem}th,td{padding:.3rem}.hide-sm{display:none}header .who{margin-left:0}}
`;
