"""The HTML report's style sheet and script, inline in every page (no file is ever fetched).

Both are constants, so the page's Content-Security-Policy allows exactly them
by their SHA-256 (:data:`STYLE_HASH`, :data:`SCRIPT_HASH`; CSP Level 3,
"hash-source") and nothing else: no other script, style, image, font, frame
or connection. The script reads the cells' details from the page's JSON
block (``<script type="application/json" id="pp-data">``, which is data, not
code) and builds them with ``textContent`` only, never as markup.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["SCRIPT", "SCRIPT_HASH", "STYLE", "STYLE_HASH"]

STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
--head:#f6f8fa;--ok:#dafbe1;--ok-fg:#116329;--bad:#ffebe9;--bad-fg:#a40e26;--warn:#fff1e0;
--warn-fg:#953800;--allow:#eff2f5;--allow-fg:#59636e;--bar:#0969da;--bar2:#8250df;
--focus:#0969da;--sel:#fff8c5}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;
--line:#3d444d;--head:#151b23;--ok:#0f3a22;--ok-fg:#7ee2a8;--bad:#4c1419;--bad-fg:#ffa198;
--warn:#3f2306;--warn-fg:#f0b072;--allow:#212830;--allow-fg:#b7bdc8;--bar:#4493f8;
--bar2:#ab7df8;--focus:#4493f8;--sel:#3b2e00}}
*{box-sizing:border-box}
body{margin:0;padding:1rem 1.25rem;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.35rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
h3{font-size:1rem;margin:.25rem 0}h4{font-size:.92rem;margin:.75rem 0 .25rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
.muted{color:var(--muted)}
.gate{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600}
.gate.open{background:var(--ok);color:var(--ok-fg)}.gate.closed{background:var(--bad);color:var(--bad-fg)}
.totals{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.5rem 0;padding:0}
.totals div{min-width:7rem}.totals dt{color:var(--muted);font-size:.8rem}
.totals dd{margin:0;font-size:1.15rem;font-weight:600}
.controls{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;margin:.5rem 0}
.legend span{display:inline-block;padding:0 .4rem;margin-right:.25rem;border-radius:.25rem}
select,button{font:inherit;color:inherit}
.scroll{overflow:auto;max-height:75vh;border:1px solid var(--line);border-radius:.4rem}
table{border-collapse:separate;border-spacing:0}
#matrix th,#matrix td{border-bottom:1px solid var(--line);border-right:1px solid var(--line);
padding:0;text-align:left;vertical-align:top;word-break:keep-all;overflow-wrap:normal}
#matrix thead th{position:sticky;top:0;z-index:2;background:var(--head);padding:.3rem .5rem;
font-weight:600}
#matrix tbody th{position:sticky;left:0;z-index:1;background:var(--head);padding:.3rem .5rem;
font-weight:600}
#matrix thead th:first-child{left:0;z-index:3}
#matrix td.about,#matrix td.dl{padding:.3rem .5rem}
#matrix td.dl{text-align:right;white-space:nowrap}
#matrix th.col button{border:0;background:none;padding:0;cursor:pointer;font-weight:600;
max-width:14rem;display:block;text-align:left}
#matrix th[aria-sort] button::after{content:" \\25BE"}
#matrix td.c button{display:block;width:100%;min-width:6.5rem;border:0;margin:0;
padding:.3rem .5rem;text-align:left;cursor:pointer;background:transparent;line-height:1.3}
#matrix td.c small{display:block;opacity:.85}
.s-ok{background:var(--ok);color:var(--ok-fg)}
.s-no-image{background:var(--bad);color:var(--bad-fg)}
.s-will-not-run{background:var(--warn);color:var(--warn-fg)}
.s-broken{background:var(--bad);color:var(--bad-fg)}
.s-allowed{background:var(--allow);color:var(--allow-fg)}
#matrix td.na{color:var(--muted);padding:.3rem .5rem;text-align:center}
#matrix th.col small.f{display:block;color:var(--bad-fg)}
#matrix td.c b{font-weight:700;letter-spacing:.02em}
#matrix td.sel{outline:3px solid var(--focus);outline-offset:-3px}
button:focus-visible,select:focus-visible,input:focus-visible,summary:focus-visible{
outline:3px solid var(--focus);outline-offset:-3px}
.only-failing tbody tr[data-fail="0"]{display:none}
details.members summary{cursor:pointer;font-weight:400;color:var(--muted)}
details.members ul{margin:.25rem 0;padding-left:1.1rem;font-weight:400;max-height:12rem;
overflow:auto}
#details{position:fixed;top:0;right:0;bottom:0;z-index:10;width:min(32rem,100vw);
overflow:auto;padding:.5rem 1rem;background:var(--bg);border-left:1px solid var(--line);
box-shadow:-6px 0 18px rgba(0,0,0,.18)}#details[hidden]{display:none}
#details .close{float:right;margin-top:.9rem}.hint{color:var(--muted);font-size:.85rem}
#details table,.inputs table{border-collapse:collapse;font-size:.85rem;width:100%}
#details td,#details th,.inputs td,.inputs th{border-bottom:1px solid var(--line);
padding:.15rem .35rem;text-align:left;vertical-align:top}
#details{word-break:keep-all;overflow-wrap:break-word}
#details td,#details th{overflow-wrap:normal}
#details .blobs td:nth-child(-n+4),#details .cand td:nth-child(-n+3){white-space:nowrap}
#details .cand td:nth-child(2){white-space:normal;min-width:9rem}
#details dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem .75rem;
margin:.25rem 0}
#details dt{color:var(--muted)}#details dd{margin:0}
#details dd.hash{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
tr.pick td{font-weight:600}
.chart svg{max-width:100%;height:auto}.chart text{fill:var(--fg);font-size:12px}
.chart .v{fill:var(--muted)}.chart .bar{fill:var(--bar)}.chart .bar2{fill:var(--bar2)}
.problems li{margin:.2rem 0}.problems .f{color:var(--bad-fg);font-weight:600}
.inputs{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:0 1.5rem}
.inputs th{width:1%;white-space:nowrap;font-weight:600}.inputs td{overflow-wrap:anywhere}
.inputs>div:first-child{grid-column:1/-1}
footer{margin-top:1.5rem;color:var(--muted);font-size:.8rem}
@media print{body{padding:0;font-size:9pt}.controls,noscript,#details{display:none}
.scroll{overflow:visible;max-height:none;border:0}
#matrix thead th,#matrix tbody th{position:static}
#matrix tr{break-inside:avoid}#matrix th.col button{max-width:none;white-space:normal}
*{print-color-adjust:exact;-webkit-print-color-adjust:exact}
details.members ul{max-height:none}section{break-inside:avoid-page}}
""".strip()

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pp-data").textContent);
  var table = document.getElementById("matrix");
  var body = table.tBodies[0];
  var rowKind = table.dataset.rowKind, colKind = table.dataset.columnKind;
  var lead = +table.dataset.lead, width = +table.dataset.columns;
  var rank = {"no-image": 0, "broken": 1, "will-not-run": 2, "allowed": 3, "ok": 4};
  var mark = {"ok": "ok", "allowed": "allowed", "no-image": "NO IMAGE",
    "will-not-run": "WON'T RUN", "broken": "WON'T PULL"};
  var panel = document.getElementById("detail"), aside = document.getElementById("details");
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells, lead, lead + width);
  var keys = heads.map(function (th) { return th.getAttribute("data-" + colKind); });
  var pending = data.rows || [], taken = 0, grid = null, selected = null;
  var more = document.getElementById("more");
  function human(n) {
    var units = ["B", "kB", "MB", "GB", "TB", "PB"], i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return String(+n.toPrecision(4)) + units[i];
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  // text with a <wbr> after each separator (/ : @ , = _, a dot before no digit) of a long
  // token: lines break there (or at spaces, after a hyphen), never inside a name, a
  // version or a digest
  function wb(e, text) {
    String(text).split(/(\\s+)/).forEach(function (t) {
      if (t.length < 16 || /\\s/.test(t)) { if (t) e.append(t); return; }
      t.split(/(?<=[\\/:@,=_])(?=[^\\s\\/:.@,=_])|(?<=\\.)(?=[^\\s\\/:.@,=_\\d])/)
        .forEach(function (p, i) {
          if (i) e.append(el("wbr"));
          e.append(p);
        });
    });
    return e;
  }
  // a digest in a heading or a message: its first 12 hex digits, the whole text in the title
  function brief(tag, text) {
    var short = String(text).replace(/([0-9a-f]{12})[0-9a-f]{20,}/g, "$1\\u2026");
    var e = wb(el(tag), short);
    if (short !== String(text)) e.title = text;
    return e;
  }
  function cellEl(key, at, c) {
    var td = el("td", null, "c s-" + c[0]), b = el("button");
    td.setAttribute("data-" + rowKind, key);
    td.setAttribute("data-" + colKind, keys[at]);
    td.dataset.status = c[0];
    if (c[2] !== null) td.dataset.bytes = c[2];
    td.dataset.d = c[4];
    if (c[3]) td.title = c[3];
    b.type = "button";
    b.tabIndex = -1;
    if (c[0] !== "ok") {
      b.append(el("b", mark[c[0]]));
      if (c[1]) { b.append(el("br")); wb(b, c[1]); }
    } else wb(b, c[1]);
    if (c[2] !== null && (c[0] === "ok" || c[0] === "allowed")) b.append(el("small", human(c[2])));
    td.append(b);
    return td;
  }
  function naEl(key, at) {
    var td = el("td", "\\u2013", "na");
    td.setAttribute("data-" + rowKind, key);
    td.setAttribute("data-" + colKind, keys[at]);
    return td;
  }
  function rowEl(r, order) {
    var tr = el("tr"), th = wb(el("th"), r[1]), n = r[2].length, each = r[4];
    tr.setAttribute("data-" + rowKind, r[0]);
    tr.dataset.label = r[1];
    tr.dataset.hosts = n;
    tr.dataset.order = order;
    tr.dataset.fail = r[5].filter(function (c) { return c >= 0 && rank[data.cells[c][0]] < 3; })
      .length;
    tr.dataset.total = each === null ? 0 : each * n;
    th.scope = "row";
    if (n > 1) {
      var d = el("details", null, "members"), ul = el("ul");
      d.append(el("summary", "+" + (n - 1) + " like it"));
      r[2].forEach(function (name) {
        var li = wb(el("li"), name);
        li.setAttribute("data-" + rowKind, name);
        ul.append(li);
      });
      d.append(ul);
      th.append(d);
    }
    tr.append(th);
    r[3].forEach(function (v) { tr.append(wb(el("td", null, "about"), v)); });
    r[5].forEach(function (c, at) {
      tr.append(c < 0 ? naEl(r[0], at) : cellEl(r[0], at, data.cells[c]));
    });
    var dl = el("td", (each === null ? "-" : human(each)) + (n > 1 && each !== null ? " each" : ""),
      "dl");
    if (each !== null) dl.dataset.bytes = each;
    tr.append(dl);
    return tr;
  }
  function draw(count) {
    var end = Math.min(pending.length, taken + count), frag = document.createDocumentFragment();
    for (; taken < end; taken++) {
      var tr = rowEl(pending[taken], rows.length);
      rows.push(tr);
      if (grid) grid.set(tr, Array.prototype.slice.call(tr.cells, lead, lead + width));
      frag.append(tr);
    }
    body.append(frag);
    if (more && taken >= pending.length) more.hidden = true;
    else if (more) more.dataset.pending = pending.length - taken;
  }
  function all() { if (taken < pending.length) draw(pending.length); }
  function cellsOf() {
    if (!grid) {
      grid = new Map();
      rows.forEach(function (tr) {
        grid.set(tr, Array.prototype.slice.call(tr.cells, lead, lead + width));
      });
    }
    return grid;
  }
  function pairs(dl, items) {
    items.forEach(function (item) {
      if (item[1] === null || item[1] === undefined || item[1] === "") return;
      var dd = item[2] ? el("dd", item[1], item[2]) : brief("dd", item[1]);
      if (item[2]) dd.title = item[1];
      dl.append(el("dt", item[0]), dd);
    });
  }
  function grid2(cls, head, lines, pick) {
    var t = el("table", null, cls), tr = el("tr"), tb = el("tbody");
    head.forEach(function (h) { tr.append(el("th", h)); });
    t.append(el("thead"));
    t.tHead.append(tr);
    lines.forEach(function (line) {
      var r = el("tr", null, pick && pick(line) ? "pick" : "");
      line.forEach(function (v) { r.append(wb(el("td"), v)); });
      tb.append(r);
    });
    t.append(tb);
    return t;
  }
  function show(td) {
    if (selected) selected.classList.remove("sel");
    selected = td;
    td.classList.add("sel");
    var tr = td.parentElement, n = +tr.dataset.hosts;
    var col = heads[cellsOf().get(tr).indexOf(td)];
    aside.hidden = false;
    panel.replaceChildren();
    panel.append(brief("h3", tr.dataset.label + (n > 1 ? " (+" + (n - 1) + ")" : "") +
      " \\u00d7 " + col.dataset.label));
    (data.details[+td.dataset.d] || []).forEach(function (s) {
      panel.append(brief("h4", s.title));
      var dl = el("dl");
      pairs(dl, [["status", s.status], ["problem", s.problem], ["from", s.endpoint],
        ["sent by", s.via], ["pick", s.selected, "hash"],
        ["platform", s.platform], ["rules", s.rules],
        ["download", s.download === null ? null : human(s.download) + " (" + s.download +
          " bytes)"], ["image size", s.total === null ? null : human(s.total)],
        ["hosts", n > 1 ? n + " hosts of this row, each" : null]]);
      panel.append(dl);
      if (s.warnings.length) {
        var ul = el("ul");
        s.warnings.forEach(function (w) { ul.append(brief("li", w)); });
        panel.append(el("h4", "Warnings"), ul);
      }
      if (s.candidates.length) {
        panel.append(el("h4", "Candidates"), grid2("cand", ["#", "platform", "pick", "verdict"],
          s.candidates.map(function (c) {
            return [c[0], c[1] + " " + c[2].slice(7, 19), c[3] === null ? "-" : c[3], c[4]];
          }), function (line) { return line[2] === 1; }));
      }
      if (s.blobs.length) {
        panel.append(el("h4", "Blobs"), grid2("blobs", ["#", "kind", "digest", "size", ""],
          s.blobs.map(function (b) {
            return [b[0], b[1], b[2].slice(7, 19), human(b[3]), b[4] + ", " + b[5]];
          })));
      }
    });
  }
  function order(a, b) { return a.dataset.order - b.dataset.order; }
  var sorts = {
    listed: order,
    failures: function (a, b) { return b.dataset.fail - a.dataset.fail || order(a, b); },
    download: function (a, b) { return b.dataset.total - a.dataset.total || order(a, b); },
    name: function (a, b) {
      var x = a.getAttribute("data-" + rowKind), y = b.getAttribute("data-" + rowKind);
      return x < y ? -1 : x > y ? 1 : order(a, b);
    }
  };
  function place(sorted) {
    var frag = document.createDocumentFragment();
    sorted.forEach(function (tr) { frag.append(tr); });
    body.append(frag);
  }
  function byColumn(th) {
    all();
    var at = heads.indexOf(th), g = cellsOf();
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", "ascending");
    place(rows.slice().sort(function (a, b) {
      var x = g.get(a)[at], y = g.get(b)[at];
      return (rank[x.dataset.status] ?? 5) - (rank[y.dataset.status] ?? 5) ||
        (y.dataset.bytes || 0) - (x.dataset.bytes || 0) || order(a, b);
    }));
    document.getElementById("sort").value = "column";
  }
  document.getElementById("sort").addEventListener("change", function (e) {
    var how = sorts[e.target.value];
    if (!how) return;
    all();
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    place(rows.slice().sort(how));
  });
  document.getElementById("columns").addEventListener("change", function (e) {
    all();
    var at = heads.map(function (h, i) { return i; }), g = cellsOf();
    if (e.target.value === "failures") {
      at.sort(function (i, j) { return heads[j].dataset.fail - heads[i].dataset.fail || i - j; });
    }
    var hr = table.tHead.rows[0], end = hr.cells[hr.cells.length - 1];
    at.forEach(function (i) { hr.insertBefore(heads[i], end); });
    rows.forEach(function (tr) {
      var cells = g.get(tr), last = tr.cells[tr.cells.length - 1];
      at.forEach(function (i) { tr.insertBefore(cells[i], last); });
    });
  });
  document.getElementById("only-failing").addEventListener("change", function (e) {
    all();
    table.classList.toggle("only-failing", e.target.checked);
  });
  function hide() {
    aside.hidden = true;
    if (selected) selected.querySelector("button").focus();
  }
  document.getElementById("close-details").addEventListener("click", hide);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !aside.hidden) hide();
  });
  window.addEventListener("beforeprint", all);
  if (more) {
    document.getElementById("show-all").addEventListener("click", all);
    var box = table.parentElement;
    box.addEventListener("scroll", function () {
      if (box.scrollTop + box.clientHeight > box.scrollHeight - 600) draw(100);
    }, {passive: true});
  }
  table.addEventListener("click", function (e) {
    var th = e.target.closest("th.col");
    if (th) { byColumn(th); return; }
    var td = e.target.closest("td.c");
    if (td) show(td);
  });
  // one tab stop for the whole matrix (the cell last focused); arrow keys move inside it
  var roving = null;
  Array.prototype.forEach.call(table.querySelectorAll("td.c button"), function (b) {
    b.tabIndex = roving ? -1 : 0;
    roving = roving || b;
  });
  table.addEventListener("focusin", function (e) {
    if (!e.target.closest("td.c")) return;
    if (roving && roving !== e.target) roving.tabIndex = -1;
    roving = e.target;
    roving.tabIndex = 0;
  });
  table.addEventListener("keydown", function (e) {
    var td = e.target.closest("td.c");
    var step = {ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0]};
    if (!td || !step[e.key]) return;
    var tr = td.parentElement;
    if (step[e.key][0] > 0 && !tr.nextElementSibling) draw(100);
    var r = tr;
    do { r = step[e.key][0] > 0 ? r.nextElementSibling : step[e.key][0] < 0 ?
      r.previousElementSibling : r; } while (r && r !== tr && r.offsetParent === null);
    var at = td.cellIndex + step[e.key][1], c = r && r.cells[at];
    while (c && c.classList.contains("na")) { at += step[e.key][1] || 1; c = r.cells[at]; }
    if (c && c.classList.contains("c")) { e.preventDefault(); c.querySelector("button").focus(); }
  });
  document.documentElement.dataset.ready = "1";
})();
""".strip()


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


STYLE_HASH = _hash(STYLE)
SCRIPT_HASH = _hash(SCRIPT)
