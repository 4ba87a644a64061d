/* soudan simulator page. Plain JavaScript, no libraries, no build step.
 * Talks to the JSON API documented in docs/web-api.md. Every piece of text from the server is
 * put in the page with textContent (never innerHTML). */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const S = {
    token: null,       // session_token (kept in sessionStorage)
    flow: null,        // the selected flow id
    locale: "ja",
    log: [],           // the user's inputs since the last start, replayed when the time changes
    lastAsk: null,     // the last ask reply (its buttons are the quick replies)
    state: null,
    visited: new Set(),
    version: null,     // source.version last seen
    reloadPending: false,
    busy: false,
  };

  // ------------------------------------------------------------ helpers

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function randomToken() {
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  /** Wall-clock time in Japan as "YYYY-MM-DDTHH:MM" (the value of a datetime-local input). */
  function jstLocal(date) {
    const d = new Date(date.getTime() + 9 * 3600 * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }

  /** The next day (from today in Japan) whose weekday is `wd` (0 = Sunday), at hh:mm. */
  function nextWeekday(wd, hh, mm) {
    const now = new Date(Date.now() + 9 * 3600 * 1000);
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    do { d.setUTCDate(d.getUTCDate() + 1); } while (d.getUTCDay() !== wd);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(hh)}:${pad(mm)}`;
  }

  function atValue() {
    const v = $("at").value;
    return v ? `${v}:00+09:00` : null;
  }

  async function api(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = { error: `HTTP ${res.status}` }; }
    if (!res.ok) {
      const err = new Error(data && data.error ? data.error : `HTTP ${res.status}`);
      err.data = data;
      throw err;
    }
    return data;
  }

  function scrollDown() { const c = $("chat"); c.scrollTop = c.scrollHeight; }

  function system(text) { $("chat").appendChild(el("div", "system", text)); scrollDown(); }

  // ------------------------------------------------------------ source (files on disk)

  function showSource(src) {
    if (!src) return;
    const box = $("errors");
    if (src.ok) {
      box.hidden = true;
    } else {
      const when = src.loaded_at ? src.loaded_at.slice(11, 16) : "?";
      $("errors-title").textContent =
        `ファイルにエラーがあります。直すまで、最後に読み込めた版（${when}）で動いています。 ` +
        `The files have errors; until they are fixed the simulator runs the last version that loaded (${when}).`;
      const ul = $("errors-list");
      ul.textContent = "";
      for (const e of src.errors) ul.appendChild(el("li", null, e.text));
      box.hidden = false;
    }
    if (S.version !== null && src.version !== S.version) S.reloadPending = true;
    S.version = src.version;
    if (S.reloadPending && !S.busy) guarded(onReloaded);
  }

  async function onReloaded() {
    S.reloadPending = false;
    notice("ファイルの変更を読み込みました。同じ答えでやり直します。 Reloaded the edited files; replaying the same answers.");
    await loadFlows();
    await replay(null);
  }

  function notice(text) {
    const n = $("notice");
    n.textContent = text;
    n.hidden = false;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => { n.hidden = true; }, 6000);
  }

  async function pollSource() {
    try { showSource(await api("/api/source")); } catch (e) { /* server restarting */ }
  }

  // ------------------------------------------------------------ flows and outline

  async function loadFlows() {
    const data = await api("/api/flows");
    const sel = $("flow");
    const keep = S.flow;
    sel.textContent = "";
    for (const f of data.flows) {
      const o = el("option", null, `${f.title[S.locale] || f.title.ja} (${f.id})`);
      o.value = f.id;
      sel.appendChild(o);
    }
    S.flow = data.flows.some((f) => f.id === keep) ? keep : data.default_flow;
    sel.value = S.flow;
    S.version = data.source.version;
    showSource(data.source);
    await loadOutline();
  }

  async function loadOutline() {
    const data = await api(`/api/flows/${encodeURIComponent(S.flow)}/outline?locale=${S.locale}`);
    $("phone-title").textContent = data.title;
    $("outline-file").textContent = data.file ? `— ${data.file}` : "";
    $("mermaid").textContent = data.mermaid;
    const ol = $("outline");
    ol.textContent = "";
    for (const st of data.states) {
      const li = el("li");
      li.dataset.state = st.id;
      const det = el("details");
      const sum = el("summary");
      sum.appendChild(el("span", `kind k-${st.kind}`, st.kind));
      sum.appendChild(el("span", "sid", st.id));
      sum.appendChild(document.createTextNode(` ${st.text.length > 40 ? st.text.slice(0, 39) + "…" : st.text}`));
      det.appendChild(sum);
      const ul = el("ul");
      if (st.line) ul.appendChild(el("li", "line", `${data.file}:${st.line}`));
      for (const e of st.edges) {
        const item = el("li");
        item.appendChild(document.createTextNode(e.label ? `「${e.label}」 → ${e.to}` : `→ ${e.to}`));
        if (e.condition) item.appendChild(el("span", "cond", ` [${e.condition}]`));
        ul.appendChild(item);
      }
      for (const c of st.contacts) ul.appendChild(el("li", null, `☎ ${c.name} (${c.id})`));
      det.appendChild(ul);
      li.appendChild(det);
      ol.appendChild(li);
    }
    markOutline();
  }

  function markOutline() {
    const ol = $("outline");
    for (const li of ol.children) {
      const current = li.dataset.state === S.state;
      li.classList.toggle("current", current);
      li.classList.toggle("visited", S.visited.has(li.dataset.state));
      if (current) {
        li.querySelector("details").open = true;
        ol.scrollTop = Math.max(0, li.offsetTop - 40);  // scroll the list only, not the page
      }
    }
    $("phone-state").textContent = S.state || "—";
  }

  // ------------------------------------------------------------ rendering replies

  function botBubble(text, cls) {
    const m = el("div", `msg bot ${cls || ""}`);
    m.appendChild(el("div", "bubble", text));
    $("chat").appendChild(m);
  }

  function userBubble(text) {
    const m = el("div", "msg user");
    m.appendChild(el("div", "bubble", text));
    $("chat").appendChild(m);
  }

  function card(c) {
    // a form that takes messages now is not green: nobody answers it now (send_only)
    const kind = c.send_only ? "form" : c.status;
    const d = el("div", `card s-${kind}`);
    d.dataset.contact = c.id;
    d.appendChild(el("h3", null, c.name));
    d.appendChild(el("div", "org", c.org));
    if (c.status_shown) d.appendChild(el("div", `status s-${kind}`, c.status_shown));
    d.appendChild(el("div", "hours", c.hours_text));
    for (const line of c.details || []) d.appendChild(el("div", "details", line));
    c.phones.forEach((p, i) => {
      const a = el("a", c.manual_dial[i] ? "call manual" : "call", `☎ ${p} に電話 / Call`);
      a.href = c.tel[i];
      d.appendChild(a);
      if (c.manual_dial[i]) {
        d.appendChild(el("div", "manual-note", `iPhone ではリンクからかけられない場合があります。${p} を押してください。`));
      }
    });
    for (const u of c.urls) {
      if (!/^(https?:|mailto:)/.test(u)) continue;
      const a = el("a", "link", u);
      a.href = u;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      d.appendChild(a);
    }
    return d;
  }

  function render(replies) {
    for (const r of replies) {
      if (r.type === "ask") {
        botBubble(r.text);
        S.lastAsk = r;
      } else if (r.type === "refer") {
        botBubble(r.text);
        const cards = el("div", "cards");
        for (const c of r.contacts) cards.appendChild(card(c));
        const wrap = el("div", "msg bot");
        wrap.appendChild(cards);
        $("chat").appendChild(wrap);
        if (r.steps.length) {
          const ol = el("ol", "steps");
          for (const s of r.steps) ol.appendChild(el("li", null, s));
          const w = el("div", "msg bot");
          w.appendChild(ol);
          $("chat").appendChild(w);
        }
      } else {
        botBubble(r.text, r.type === "end" ? "end" : "");
      }
    }
    renderQuick();
    scrollDown();
  }

  function renderQuick() {
    const q = $("quick");
    q.textContent = "";
    if (!S.lastAsk) return;
    // the question's choices, then what the engine offers beside them (「データを消す」 after the help)
    for (const c of [...S.lastAsk.choices, ...(S.lastAsk.offers || [])]) {
      const b = el("button", null, c.label);
      b.type = "button";
      b.dataset.choice = c.id;
      b.addEventListener("click", () => { if (!S.busy) pickChoice(c.id, c.label); });
      q.appendChild(b);
    }
  }

  // ------------------------------------------------------------ talking to the engine

  async function send(input) {
    const body = { session_token: S.token, flow: S.flow, at: atValue(), locale: S.locale, input };
    const data = await api("/api/chat", body);
    S.token = data.session_token;
    sessionStorage.setItem("soudan-token", S.token);
    S.state = data.state;
    S.visited = new Set(data.path);
    if (data.locale && data.locale !== S.locale) { S.locale = data.locale; $("locale").value = S.locale; }
    S.lastAsk = null;
    render(data.replies);
    if (data.ended) { S.lastAsk = null; renderQuick(); system("会話は終わりました。「最初から」で始められます。 The conversation ended."); }
    showSource(data.source);
    markOutline();
    return data;
  }

  async function guarded(fn) {
    if (S.busy) return;
    S.busy = true;
    try {
      await fn();
    } catch (e) {
      if (!retryLater(e)) system(`エラー / error: ${e.message}`);
    } finally {
      S.busy = false;
      if (S.reloadPending) guarded(onReloaded);
    }
  }

  function describeTime() {
    const v = $("at").value;
    return v ? `${v.replace("T", " ")}（日本時間 / JST）` : "いま / now";
  }

  async function start() {
    $("chat").textContent = "";
    S.log = [];
    S.visited = new Set();
    system(`${describeTime()} の会話 / conversation at this time`);
    await send({ type: "start" });
  }

  /** A 503 from the server (its store is down; nothing was saved): show its apology (110 / 119) as
   * the bot's message and keep the question and its buttons, so the same answer can be sent again.
   * Returns false for any other error. */
  function retryLater(e) {
    if (!e.data || !e.data.retry) return false;
    for (const r of e.data.replies || []) botBubble(r.text, "error");
    renderQuick();
    scrollDown();
    return true;
  }

  async function pickChoice(id, label) {
    await guarded(async () => {
      const ask = S.lastAsk;
      userBubble(label);
      S.log.push({ type: "pick", choice: id, label });
      try {
        await send({ type: "pick", choice: id, state: ask.state_id, conversation: ask.conversation_id });
      } catch (e) {
        if (e.data && e.data.retry) S.log.pop();  // not saved: a replay must not give it
        throw e;
      }
    });
  }

  async function sendText(text) {
    await guarded(async () => {
      userBubble(text);
      S.log.push({ type: "text", text });
      try {
        await send({ type: "text", text });
      } catch (e) {
        if (e.data && e.data.retry) {
          S.log.pop();
          if (!$("message").value) $("message").value = text;  // what was typed is there to send again
        }
        throw e;
      }
    });
  }

  /** Start again at the current time/language and give the same answers. */
  async function replay(reason) {
    const log = S.log.slice();
    $("chat").textContent = "";
    S.visited = new Set();
    if (reason) system(reason);
    system(`${describeTime()} の会話 / conversation at this time`);
    await send({ type: "start" });
    for (const step of log) {
      if (step.type === "pick") {
        const ask = S.lastAsk;
        const found = ask && [...ask.choices, ...(ask.offers || [])].find((c) => c.id === step.choice);
        if (!found) {
          system(`「${step.label}」のボタンがないので、ここで止めました。 Stopped: no button “${step.label}” here.`);
          break;
        }
        userBubble(found.label);
        await send({ type: "pick", choice: step.choice, state: ask.state_id, conversation: ask.conversation_id });
      } else {
        userBubble(step.text);
        await send({ type: "text", text: step.text });
      }
    }
    S.log = log;
  }

  // ------------------------------------------------------------ controls

  function wire() {
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("message").value;
      if (!t.trim()) return;
      $("message").value = "";
      sendText(t);
    });
    $("restart").addEventListener("click", () => guarded(start));
    $("flow").addEventListener("change", () => guarded(async () => {
      S.flow = $("flow").value;
      await loadOutline();
      await start();
    }));
    $("locale").addEventListener("change", () => guarded(async () => {
      S.locale = $("locale").value;
      await loadFlows();
      await replay("言語を変えて、同じ答えでやり直しました。 Language changed; replayed the same answers.");
    }));
    $("at").addEventListener("change", () => guarded(() =>
      replay(`時刻を ${describeTime()} に変えて、同じ答えでやり直しました。 Time changed; replayed the same answers.`)));
    for (const b of document.querySelectorAll("[data-preset]")) {
      b.addEventListener("click", () => {
        const p = b.dataset.preset;
        const year = Number(jstLocal(new Date()).slice(0, 4));
        $("at").value = p === "now" ? jstLocal(new Date())
          : p === "weekday" ? nextWeekday(3, 10, 0)
          : p === "night" ? nextWeekday(3, 22, 0)
          : p === "sunday" ? nextWeekday(0, 10, 0)
          : `${year}-12-31T22:00`;
        $("at").dispatchEvent(new Event("change"));
      });
    }
  }

  async function main() {
    S.token = sessionStorage.getItem("soudan-token") || randomToken();
    $("at").value = jstLocal(new Date());
    wire();
    try {
      await loadFlows();
      await guarded(start);
    } catch (e) {
      system(`サーバーに接続できません / cannot reach the server: ${e.message}`);
    }
    setInterval(pollSource, 2000);
    document.body.dataset.ready = "1";
  }

  document.addEventListener("DOMContentLoaded", main);
})();
