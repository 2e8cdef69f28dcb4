// Vitrina sandbox: the page's logic. Plain JavaScript, no build step, no dependencies.
//
// Everything the page shows comes from the JSON API next to it (relative URLs: the page lives at
// <prefix>/), and every change arrives as a server-sent event. Text is always put into the DOM as
// text (textContent, createTextNode), never as HTML; formatting comes from Telegram's entities,
// whose offsets are UTF-16 code units, which is exactly how JavaScript indexes strings.
(() => {
  'use strict';

  const $ = (sel, root = document) => root.querySelector(sel);

  // el builds an element: el('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, 'text', ...).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const app = {
    state: null, // api/state
    persona: null, // the persona's user id
    chatId: null,
    chat: null, // the open chat's view
    messages: new Map(), // id -> message view, for the open chat
    order: [], // message ids in order
    hasMore: false,
    lastRead: 0, // the open chat's read marker when it was opened
    es: null,
    esFirst: true,
    esOpened: null, // resolves the promise connectEvents returned
    loading: null, // {chatId, events}: the chat openChat is loading and its message events meanwhile
    pending: 0,
    keyboardShown: null, // null: as the keyboard says; true or false: the persona's toggle
    keyboardFor: 0, // the message whose reply keyboard the toggle applies to
    typingTimer: null,
    stateTimer: null,
    readTimer: null,
    readPending: null, // the api/read body readTimer will send
    chatLoad: 0, // increases per chat load, so a late answer for another chat is dropped
    inline: { timer: null, seq: 0, queryId: '', query: '', results: [], nextOffset: '' },
    attachment: null, // {file, asPhoto}
    outage: { on: false }, // the simulated Telegram outage, as api/state and the events tell it
  };

  // API.

  async function api(method, path, body) {
    setPending(1);
    try {
      const opts = { method, headers: {} };
      if (body instanceof FormData) {
        opts.body = body;
      } else if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
      let res;
      try {
        res = await fetch(path, opts);
      } catch (err) {
        throw new Error('The sandbox is not reachable: is Vitrina still running?');
      }
      let data = null;
      try {
        data = await res.json();
      } catch (err) {
        data = null;
      }
      if (!res.ok) {
        throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
      }
      return data;
    } finally {
      setPending(-1);
    }
  }

  function setPending(delta) {
    app.pending += delta;
    document.body.dataset.pending = String(app.pending);
  }

  // Small helpers.

  const palette = ['#e17076', '#7bc862', '#e5ca77', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

  function avatar(name, id, extraClass) {
    const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || '?').slice(0, 2);
    const node = el('span', { class: 'avatar' + (extraClass ? ' ' + extraClass : ''), 'aria-hidden': 'true' }, letters.toUpperCase());
    node.style.background = palette[Math.abs(Number(id) || 0) % palette.length];
    return node;
  }

  function time(unix) {
    const d = new Date(unix * 1000);
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function shortDate(unix) {
    const d = new Date(unix * 1000);
    const now = new Date();
    if (d.toDateString() === now.toDateString()) return time(unix);
    const days = (now - d) / 86400000;
    if (days < 6) return d.toLocaleDateString([], { weekday: 'short' });
    return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
  }

  function dayLabel(unix) {
    const d = new Date(unix * 1000);
    const now = new Date();
    if (d.toDateString() === now.toDateString()) return 'Today';
    const yesterday = new Date(now.getTime() - 86400000);
    if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
    return d.toLocaleDateString([], { day: 'numeric', month: 'long', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
  }

  function fileSize(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  function toast(text, kind) {
    const node = el('div', { class: 'toast' + (kind ? ' ' + kind : ''), 'data-testid': 'toast', 'data-kind': kind || 'info', role: 'status' }, text);
    $('.toasts').append(node);
    setTimeout(() => node.remove(), kind === 'error' ? 6000 : 3500);
  }

  function showError(err) {
    toast(err && err.message ? err.message : String(err), 'error');
  }

  function alertBox(text) {
    const dialog = $('[data-testid="alert-dialog"]');
    $('[data-testid="alert-text"]', dialog).textContent = text;
    if (!dialog.open) dialog.showModal();
    $('[data-testid="alert-ok"]', dialog).focus();
  }

  // Formatting entities -> DOM.

  const safeSchemes = ['http:', 'https:', 'tg:', 'mailto:', 'tel:'];

  function safeURL(raw) {
    try {
      const u = new URL(raw, 'https://invalid.example/');
      if (!/^[a-z][a-z0-9+.-]*:/i.test(raw)) return 'https://' + raw;
      return safeSchemes.includes(u.protocol) ? raw : null;
    } catch (err) {
      return null;
    }
  }

  function entityNode(e, text) {
    const inner = text.slice(e.offset, e.offset + e.length);
    switch (e.type) {
      case 'bold': return el('b');
      case 'italic': return el('i');
      case 'underline': return el('u');
      case 'strikethrough': return el('s');
      case 'code': return el('code');
      case 'pre': return el('pre', e.language ? { 'data-language': e.language } : {});
      case 'blockquote':
      case 'expandable_blockquote': return el('blockquote');
      case 'spoiler': {
        const node = el('span', { class: 'spoiler', title: 'Spoiler: tap to reveal' });
        node.addEventListener('click', (ev) => {
          if (!node.classList.contains('revealed')) {
            ev.preventDefault();
            ev.stopPropagation();
            node.classList.add('revealed');
          }
        });
        return node;
      }
      case 'text_link': return linkNode(e.url);
      case 'url': return linkNode(inner);
      case 'email': return linkNode('mailto:' + inner);
      case 'phone_number': return linkNode('tel:' + inner.replace(/[^+\d]/g, ''));
      case 'mention': return el('span', { class: 'mention' });
      case 'text_mention': return el('span', { class: 'mention' });
      case 'hashtag':
      case 'cashtag': return el('span', { class: 'hashtag' });
      case 'bot_command': {
        const node = el('span', { class: 'command', title: 'Send this command' });
        node.addEventListener('click', () => sendText(inner.split('@')[0]));
        return node;
      }
      default: return el('span', { 'data-entity': e.type });
    }
  }

  function linkNode(raw) {
    const url = safeURL(raw || '');
    if (!url) return el('span');
    const node = el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' });
    node.addEventListener('click', (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      openLink(url);
    });
    return node;
  }

  // renderText turns text and entities into a fragment. Entities may nest; when one ends inside
  // another that began later (Telegram allows it with explicit entities), the inner ones are closed
  // and reopened around the boundary, so the DOM stays a tree.
  function renderText(text, entities) {
    const frag = document.createDocumentFragment();
    const n = text.length;
    const ents = (entities || [])
      .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < n)
      .map((e, i) => ({ ...e, end: Math.min(e.offset + e.length, n), index: i }));
    const points = new Set([0, n]);
    for (const e of ents) { points.add(e.offset); points.add(e.end); }
    const sorted = [...points].sort((a, b) => a - b);
    const stack = []; // {e, node}
    const top = () => (stack.length ? stack[stack.length - 1].node : frag);
    for (let k = 0; k < sorted.length; k++) {
      const pos = sorted[k];
      // Close what ends here, reopening what was open above it and goes on.
      if (stack.some((s) => s.e.end === pos)) {
        let lowest = stack.findIndex((s) => s.e.end === pos);
        const reopen = stack.slice(lowest).filter((s) => s.e.end !== pos).map((s) => s.e);
        stack.length = lowest;
        for (const e of reopen) {
          const node = entityNode(e, text);
          top().append(node);
          stack.push({ e, node });
        }
      }
      // Open what starts here, outermost (longest) first.
      const opening = ents.filter((e) => e.offset === pos).sort((a, b) => (b.end - a.end) || (a.index - b.index));
      for (const e of opening) {
        let node = entityNode(e, text);
        top().append(node);
        if (e.type === 'pre') {
          const code = el('code');
          node.append(code);
          stack.push({ e, node: code });
          continue;
        }
        stack.push({ e, node });
      }
      const next = k + 1 < sorted.length ? sorted[k + 1] : n;
      if (next > pos) top().append(document.createTextNode(text.slice(pos, next)));
    }
    return frag;
  }

  // Links.

  const botLinkHosts = ['t.me', 'telegram.me', 'www.t.me'];

  // openLink follows a URL the way a Telegram client does: a link to the bot opens its chat (with
  // /start <payload> when the link has one), a link to a known channel or group opens it, and
  // anything else opens in a new tab.
  async function openLink(raw) {
    let u;
    try {
      u = new URL(/^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : 'https://' + raw);
    } catch (err) {
      toast('Cannot open this link: ' + raw, 'error');
      return;
    }
    let name = '';
    if (botLinkHosts.includes(u.hostname) && (u.protocol === 'https:' || u.protocol === 'http:')) {
      name = u.pathname.replace(/^\/+|\/+$/g, '');
    } else if (u.protocol === 'tg:' && (u.hostname === 'resolve' || u.pathname.replace(/^\/+/, '') === 'resolve')) {
      name = u.searchParams.get('domain') || '';
    }
    if (name && app.state && name.toLowerCase() === app.state.bot.username.toLowerCase()) {
      try {
        const res = await api('POST', 'api/open', { persona: app.persona, url: raw });
        await openChat(res.chat_id);
      } catch (err) {
        showError(err);
      }
      return;
    }
    if (name && app.state) {
      const chat = app.state.chats.find((c) => c.username && c.username.toLowerCase() === name.toLowerCase());
      if (chat) {
        await openChat(chat.id);
        return;
      }
    }
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:' || u.protocol === 'tel:') {
      window.open(u.href, '_blank', 'noopener');
      return;
    }
    toast('The sandbox cannot open ' + raw, 'error');
  }

  // State: personas and chats.

  async function loadState() {
    const state = await api('GET', 'api/state' + (app.persona ? '?persona=' + encodeURIComponent(app.persona) : ''));
    app.state = state;
    if (state.persona) app.persona = state.persona.id;
    renderOutage(state.outage);
    renderPersonas();
    renderChatList();
    renderComposer();
    return state;
  }

  function scheduleStateRefresh() {
    clearTimeout(app.stateTimer);
    app.stateTimer = setTimeout(() => {
      loadState().catch(showError);
    }, 250);
  }

  function renderPersonas() {
    const list = $('[data-testid="persona-list"]');
    list.replaceChildren();
    const personas = app.state.personas;
    if (!personas.length) {
      list.append(el('p', { class: 'chat-list-empty' }, 'The sandbox has no personas yet.'));
      return;
    }
    for (const p of personas) {
      const current = p.id === app.persona;
      list.append(el('button', {
        class: 'persona', type: 'button', 'data-testid': 'persona', 'data-persona-id': p.id, 'data-persona-name': p.name,
        'data-persona-role': p.role || '', 'aria-pressed': current ? 'true' : 'false',
        title: p.role ? `${p.name}, ${p.role}` : p.name,
        onclick: () => switchPersona(p.id),
      },
      avatar(p.name, p.id),
      el('span', { class: 'persona-text' }, el('span', { class: 'persona-name' }, p.name), p.role ? el('span', { class: 'persona-role' }, p.role) : null),
      p.unread && !current ? el('span', { class: 'badge unread', 'data-testid': 'persona-unread' }, String(p.unread)) : null));
    }
  }

  // icon draws one of the page's line icons (emoji fonts are not everywhere, headless browsers
  // included).
  const iconPaths = {
    channel: 'M3 10v4h3l6 4V6L6 10H3zM16 9a3.5 3.5 0 0 1 0 6M18.5 6.5a7 7 0 0 1 0 11',
    group: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 19a6 6 0 0 1 12 0M16 5a3 3 0 0 1 0 6M21 19a6 6 0 0 0-4-5.6',
    file: 'M14 3H6v18h12V7zM14 3v4h4',
    photo: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9h.01',
  };

  function icon(name, size) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', String(size || 16));
    svg.setAttribute('height', String(size || 16));
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'icon');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', iconPaths[name]);
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '2');
    path.setAttribute('stroke-linecap', 'round');
    path.setAttribute('stroke-linejoin', 'round');
    svg.append(path);
    return svg;
  }

  const kindIcons = { channel: 'channel', group: 'group', supergroup: 'group' };

  function renderChatList() {
    const list = $('[data-testid="chat-list"]');
    list.replaceChildren();
    const chats = app.state.chats;
    if (!chats.length) {
      list.append(el('p', { class: 'chat-list-empty' }, 'No chats.'));
      return;
    }
    for (const c of chats) {
      const current = c.id === app.chatId;
      const preview = c.last ? (c.last.outgoing ? 'You: ' : (c.type !== 'private' && c.type !== 'channel' && c.last.sender ? c.last.sender + ': ' : '')) + c.last.preview : (c.is_bot ? 'Tap to start the bot' : '');
      const unread = current ? 0 : c.unread;
      list.append(el('button', {
        class: 'chat-item', type: 'button', 'data-testid': 'chat', 'data-chat-id': c.id, 'data-chat-type': c.type,
        'data-chat-title': c.title, 'data-unread': unread, 'aria-current': current ? 'true' : 'false',
        onclick: () => openChat(c.id),
      },
      avatar(c.title, c.id),
      el('span', { class: 'chat-item-title' }, kindIcons[c.type] ? el('span', { class: 'kind' }, icon(kindIcons[c.type], 15)) : null, c.title),
      el('span', { class: 'chat-item-time' }, c.last ? shortDate(c.last.date) : ''),
      el('span', { class: 'chat-item-preview' }, preview),
      unread ? el('span', { class: 'badge unread', 'data-testid': 'chat-unread' }, String(unread)) : el('span')));
    }
  }

  async function switchPersona(id) {
    if (id === app.persona) return;
    app.persona = id;
    localStorage.setItem('vitrina.sandbox.persona', String(id));
    closePopups();
    clearAttachment();
    $('[data-testid="message-input"]').value = '';
    try {
      // Follow the persona's events before loading what it sees, so nothing in between is lost.
      await connectEvents();
      await loadState();
      const remembered = Number(localStorage.getItem('vitrina.sandbox.chat.' + id));
      const chat = app.state.chats.find((c) => c.id === remembered) || app.state.chats[0];
      if (chat) await openChat(chat.id, { keepView: true });
      else closeChat();
    } catch (err) {
      showError(err);
    }
  }

  function updateHash() {
    const params = new URLSearchParams();
    if (app.persona) params.set('persona', app.persona);
    if (app.chatId) params.set('chat', app.chatId);
    history.replaceState(null, '', '#' + params.toString());
  }

  // The open chat.

  function closeChat() {
    app.chatId = null;
    app.chat = null;
    app.messages.clear();
    app.order = [];
    $('#app').dataset.hasChat = 'false';
    $('#app').dataset.view = 'list';
    updateHash();
  }

  async function openChat(id, opts) {
    const load = ++app.chatLoad;
    const changed = id !== app.chatId;
    if (changed) {
      closePopups();
      clearAttachment();
      app.keyboardShown = null;
    }
    // A message event of the chat that comes while it loads may be newer than what the load
    // returns, or already in it: keep them all and apply them on top, in order.
    const loading = { chatId: id, events: [] };
    app.loading = loading;
    let data;
    try {
      data = await api('GET', `api/chats/${encodeURIComponent(id)}/messages?persona=${encodeURIComponent(app.persona)}`);
    } finally {
      if (app.loading === loading) app.loading = null;
    }
    if (load !== app.chatLoad) return;
    app.chatId = id;
    app.chat = data.chat;
    app.hasMore = data.has_more;
    app.messages.clear();
    app.order = [];
    for (const m of data.messages) {
      app.messages.set(m.id, m);
      app.order.push(m.id);
    }
    if (changed) app.lastRead = data.chat.last_read;
    localStorage.setItem('vitrina.sandbox.chat.' + app.persona, String(id));
    $('#app').dataset.hasChat = 'true';
    if (!(opts && opts.keepView && $('#app').dataset.view === 'list')) $('#app').dataset.view = 'chat';
    updateHash();
    renderHeader();
    renderMessages({ scroll: changed ? 'unread' : 'keep' });
    for (const ev of loading.events) applyMessage(ev.message, ev.kind);
    renderComposer();
    renderChatList();
    markRead();
  }

  async function loadEarlier() {
    if (!app.order.length) return;
    const chatId = app.chatId;
    const data = await api('GET', `api/chats/${encodeURIComponent(chatId)}/messages?persona=${encodeURIComponent(app.persona)}&before=${app.order[0]}`);
    if (chatId !== app.chatId) return;
    const box = $('[data-testid="messages"]');
    const fromBottom = box.scrollHeight - box.scrollTop;
    const older = data.messages.filter((m) => !app.messages.has(m.id));
    for (const m of older) app.messages.set(m.id, m);
    app.order = older.map((m) => m.id).concat(app.order);
    app.hasMore = data.has_more;
    renderMessages({ scroll: 'none' });
    box.scrollTop = box.scrollHeight - fromBottom;
  }

  // markRead tells the server the persona has seen the open chat up to its last message, a moment
  // later so that a burst of messages makes one request. A read still waiting for another chat or
  // persona is sent at once: dropping it would leave that chat unread.
  function markRead() {
    const last = app.order[app.order.length - 1];
    if (!app.chatId || !last) return;
    const body = { persona: app.persona, chat_id: app.chatId, message_id: last };
    const waiting = app.readPending;
    if (waiting && (waiting.persona !== body.persona || waiting.chat_id !== body.chat_id)) sendRead();
    clearTimeout(app.readTimer);
    app.readPending = body;
    app.readTimer = setTimeout(sendRead, 300);
  }

  function sendRead() {
    clearTimeout(app.readTimer);
    const body = app.readPending;
    app.readPending = null;
    if (body) api('POST', 'api/read', body).then(scheduleStateRefresh).catch(() => {});
  }

  function renderHeader() {
    const c = app.chat;
    $('[data-testid="chat-title"]').textContent = c.title;
    const avatarBox = $('.chat-avatar');
    avatarBox.replaceWith(avatar(c.title, c.id, 'chat-avatar'));
    setStatus();
  }

  function setStatus(typing) {
    const node = $('[data-testid="chat-status"]');
    const c = app.chat;
    if (!c) return;
    node.classList.toggle('typing', Boolean(typing));
    if (typing) {
      node.textContent = typing;
      return;
    }
    const status = { private: 'bot', channel: 'channel', group: 'group', supergroup: 'group' }[c.type] || c.type;
    node.textContent = c.username ? `${status} · @${c.username}` : status;
  }

  function nearBottom() {
    const box = $('[data-testid="messages"]');
    return box.scrollHeight - box.scrollTop - box.clientHeight < 140;
  }

  function scrollToBottom() {
    const box = $('[data-testid="messages"]');
    box.scrollTop = box.scrollHeight;
  }

  function renderMessages(opts) {
    const box = $('[data-testid="messages"]');
    box.replaceChildren();
    if (app.hasMore) {
      box.append(el('button', { class: 'load-more', type: 'button', 'data-testid': 'load-earlier', onclick: () => loadEarlier().catch(showError) }, 'Show earlier messages'));
    }
    let lastDay = '';
    let unreadMarked = false;
    let firstUnread = null;
    for (const id of app.order) {
      const m = app.messages.get(id);
      const day = new Date(m.date * 1000).toDateString();
      if (day !== lastDay) {
        box.append(el('div', { class: 'date-separator', 'data-testid': 'date-separator' }, dayLabel(m.date)));
        lastDay = day;
      }
      if (!unreadMarked && app.lastRead && id > app.lastRead && !m.outgoing) {
        firstUnread = el('div', { class: 'unread-separator', 'data-testid': 'unread-separator' }, 'Unread messages');
        box.append(firstUnread);
        unreadMarked = true;
      }
      box.append(renderMessage(m));
    }
    if (!app.order.length) {
      box.append(el('div', { class: 'service', 'data-testid': 'chat-empty' }, app.chat && app.chat.is_bot ? `Say hello to ${app.chat.title}: press START.` : 'No messages here yet.'));
    }
    renderReplyKeyboard();
    if (opts.scroll === 'unread') {
      if (firstUnread) firstUnread.scrollIntoView({ block: 'start' });
      else scrollToBottom();
    } else if (opts.scroll === 'bottom') {
      scrollToBottom();
    }
  }

  function lastDayOf(id) {
    const i = app.order.indexOf(id);
    if (i <= 0) return '';
    return new Date(app.messages.get(app.order[i - 1]).date * 1000).toDateString();
  }

  // applyMessage puts a new or changed message of the open chat in place.
  function applyMessage(m, kind) {
    const box = $('[data-testid="messages"]');
    const existing = box.querySelector(`[data-testid="message"][data-message-id="${m.id}"]`);
    if (kind === 'message_deleted' || m.deleted) {
      app.messages.delete(m.id);
      app.order = app.order.filter((id) => id !== m.id);
      if (existing) existing.remove();
      renderReplyKeyboard();
      return;
    }
    const stick = nearBottom() || m.outgoing;
    const known = app.messages.has(m.id);
    if (!known && kind !== 'message_new') return; // an edit of a message older than the ones shown
    app.messages.set(m.id, m);
    if (known && existing) {
      existing.replaceWith(renderMessage(m));
      renderReplyKeyboard();
      return;
    }
    if (known || (app.order.length && m.id < app.order[app.order.length - 1])) {
      if (!known) {
        app.order.push(m.id);
        app.order.sort((a, b) => a - b);
      }
      renderMessages({ scroll: stick ? 'bottom' : 'none' });
      return;
    }
    app.order.push(m.id);
    const empty = box.querySelector('[data-testid="chat-empty"]');
    if (empty) empty.remove();
    const day = new Date(m.date * 1000).toDateString();
    if (day !== lastDayOf(m.id)) box.append(el('div', { class: 'date-separator', 'data-testid': 'date-separator' }, dayLabel(m.date)));
    box.append(renderMessage(m));
    renderReplyKeyboard();
    if (stick) scrollToBottom();
  }

  function previewOf(m) {
    if (m.paid) return 'Payment ' + m.paid.total_text;
    if (m.invoice) return 'Invoice: ' + m.invoice.title;
    if (m.text) return m.text;
    if (m.photo) return m.caption ? 'Photo, ' + m.caption : 'Photo';
    if (m.document) return m.document.name || 'File';
    return 'Message';
  }

  function renderMessage(m) {
    const chat = app.chat;
    const service = m.paid || m.refunded;
    const cls = service ? 'service-msg' : (m.outgoing ? 'out' : 'in');
    const wrap = el('div', {
      class: 'msg ' + cls, 'data-testid': 'message', 'data-message-id': m.id, 'data-chat-id': m.chat_id,
      'data-sender': m.outgoing ? 'me' : m.sender.kind, 'data-edited': m.edit_date ? 'true' : 'false',
    });
    if (service) {
      let text;
      if (m.paid) {
        text = m.outgoing ? `You paid ${m.paid.total_text} to ${app.state.bot.name}` : `${m.sender.name} paid ${m.paid.total_text}`;
      } else {
        text = `${m.refunded.total_text} were refunded`;
      }
      wrap.append(el('div', { class: 'service', 'data-testid': m.paid ? 'payment-receipt' : 'payment-refund' }, text));
      return wrap;
    }
    const media = Boolean(m.photo) && !m.text;
    const bubble = el('div', { class: 'bubble' + (media ? ' media' : '') });
    const showSender = !m.outgoing && chat && (chat.type === 'group' || chat.type === 'supergroup');
    if (showSender) bubble.append(el('div', { class: 'sender' }, m.sender.name));
    if (m.via_bot) bubble.append(el('div', { class: 'via', 'data-testid': 'via-bot' }, 'via ', el('b', {}, m.via_bot)));
    if (m.reply_to_id) {
      const target = app.messages.get(m.reply_to_id);
      if (target) {
        bubble.append(el('div', {
          class: 'reply-quote', 'data-testid': 'reply-quote',
          onclick: () => {
            const node = document.querySelector(`[data-testid="message"][data-message-id="${target.id}"]`);
            if (node) {
              node.scrollIntoView({ block: 'center', behavior: 'smooth' });
              node.classList.add('highlight');
              setTimeout(() => node.classList.remove('highlight'), 1300);
            }
          },
        }, el('b', {}, target.outgoing ? 'You' : target.sender.name), el('span', {}, previewOf(target))));
      }
    }
    if (m.photo) {
      const img = el('img', { src: m.photo.url, alt: m.caption || 'Photo', loading: 'lazy', width: m.photo.width || undefined, height: m.photo.height || undefined });
      bubble.append(el('a', { class: 'photo', href: m.photo.url, target: '_blank', rel: 'noopener', 'data-testid': 'message-photo' }, img));
    }
    if (m.document) bubble.append(renderDocument(m.document));
    if (m.invoice) bubble.append(renderInvoice(m));
    const text = m.text || m.caption;
    const entities = m.text ? m.entities : m.caption_entities;
    const meta = el('span', { class: 'meta' },
      m.edit_date ? el('span', { class: 'edited', 'data-testid': 'message-edited' }, 'edited') : null,
      el('time', { datetime: new Date(m.date * 1000).toISOString(), title: new Date(m.date * 1000).toLocaleString() }, time(m.date)));
    if (text) {
      const body = el('div', { class: 'text', 'data-testid': 'message-text' });
      body.append(renderText(text, entities));
      body.append(meta);
      bubble.append(body);
    } else {
      bubble.append(el('div', { class: 'text' }, meta));
    }
    wrap.append(bubble);
    if (m.inline_keyboard && m.inline_keyboard.length) {
      wrap.append(renderInlineKeyboard(m));
      const rushable = app.chat && app.chat.type === 'channel' && m.inline_keyboard.flat().find((b) => b.kind === 'callback');
      if (rushable) wrap.append(renderRush(m, rushable));
    }
    return wrap;
  }

  function renderDocument(doc) {
    const name = doc.name || 'file';
    const ext = (name.includes('.') ? name.split('.').pop() : 'file').slice(0, 4);
    const viewable = /^text\/|^application\/json$/.test(doc.mime_type || '') || /\.(csv|tsv|txt|json)$/i.test(name);
    return el('div', { class: 'document', 'data-testid': 'message-document', 'data-file-name': name },
      el('span', { class: 'doc-icon' }, ext),
      el('span', { class: 'doc-name', title: name }, name),
      el('span', { class: 'doc-actions' },
        el('span', {}, fileSize(doc.size)),
        viewable && doc.size <= 2 * 1024 * 1024 ? el('button', { type: 'button', 'data-testid': 'document-open', onclick: () => viewDocument(doc).catch(showError) }, 'Open') : null,
        el('a', { href: doc.url + '?download=1', download: name, 'data-testid': 'document-download' }, 'Download')));
  }

  function renderInvoice(m) {
    const inv = m.invoice;
    const hasPayButton = (m.inline_keyboard || []).some((row) => row.some((b) => b.kind === 'pay'));
    return el('div', { class: 'invoice', 'data-testid': 'invoice', 'data-currency': inv.currency, 'data-total': inv.total, 'data-paid': inv.paid ? 'true' : 'false' },
      inv.photo_url && /^https?:/.test(inv.photo_url) ? el('img', { class: 'invoice-photo', src: inv.photo_url, alt: '' }) : null,
      el('div', { class: 'invoice-label' }, 'Invoice'),
      el('div', { class: 'invoice-title' }, inv.title),
      el('div', { class: 'invoice-description' }, inv.description),
      el('div', { class: 'invoice-total', 'data-testid': 'invoice-total' }, inv.total_text),
      inv.paid
        ? el('span', { class: 'invoice-paid', 'data-testid': 'invoice-paid' }, '✓ Paid')
        : (hasPayButton ? null : el('button', { class: 'pay-button', type: 'button', 'data-testid': 'pay-button', 'data-message-id': m.id, onclick: () => openPayment(m) }, `Pay ${inv.total_text}`)));
  }

  // A rush: a few hundred followers of the channel tap the post's button at once, as a drop's
  // audience does; the answers are counted.
  function renderRush(m, b) {
    const button = el('button', { class: 'rush-button', type: 'button', 'data-testid': 'rush-button', 'data-message-id': m.id,
      title: 'Let 300 followers of the channel tap this button at once' }, '⚡ Rush: 300 followers tap');
    button.addEventListener('click', async () => {
      if (button.disabled) return;
      button.disabled = true;
      button.textContent = '⚡ 300 followers are tapping…';
      try {
        const res = await api('POST', 'api/rush', { persona: app.persona, chat_id: m.chat_id, message_id: m.id, data: b.data, n: 300 });
        const lines = res.outcomes.map((o) => `${o.taps} × ${o.answer || '(no answer)'}`);
        alertBox('Rush: 300 taps\n\n' + lines.join('\n'));
      } catch (err) {
        showError(err);
      } finally {
        button.disabled = false;
        button.textContent = '⚡ Rush: 300 followers tap';
      }
    });
    return el('div', { class: 'rush' }, button);
  }

  async function setStream(started) {
    try {
      await api('POST', 'api/videochat', { persona: app.persona, chat_id: app.chatId, started });
      toast(started ? 'The stream started' : 'The stream ended');
    } catch (err) {
      showError(err);
    }
  }

  function renderInlineKeyboard(m) {
    const kb = el('div', { class: 'keyboard', 'data-testid': 'inline-keyboard' });
    for (const row of m.inline_keyboard) {
      const r = el('div', { class: 'keyboard-row' });
      for (const b of row) {
        const testid = b.kind === 'pay' ? 'pay-button' : 'inline-button';
        const button = el('button', {
          class: 'kb-button', type: 'button', 'data-testid': testid, 'data-button-text': b.text, 'data-kind': b.kind,
          'data-style': b.style || undefined, 'data-message-id': m.id, title: b.url || b.text,
        }, b.text);
        button.addEventListener('click', () => tapInlineButton(m, b, button));
        r.append(button);
      }
      kb.append(r);
    }
    return kb;
  }

  async function tapInlineButton(m, b, button) {
    switch (b.kind) {
      case 'callback': {
        if (button.classList.contains('pending')) return;
        button.classList.add('pending');
        button.dataset.pending = 'true';
        try {
          const ans = await api('POST', 'api/press', { persona: app.persona, chat_id: m.chat_id, message_id: m.id, data: b.data });
          if (ans.text) {
            if (ans.show_alert) alertBox(ans.text);
            else toast(ans.text);
          }
          if (ans.url) await openLink(ans.url);
        } catch (err) {
          showError(err);
        } finally {
          button.classList.remove('pending');
          delete button.dataset.pending;
        }
        return;
      }
      case 'url':
        await openLink(b.url);
        return;
      case 'switch_inline':
      case 'switch_inline_current': {
        const input = $('[data-testid="message-input"]');
        input.value = `@${app.state.bot.username} ${b.query || ''}`;
        input.focus();
        onInput();
        return;
      }
      case 'copy':
        try {
          await navigator.clipboard.writeText(b.copy);
          toast('Copied to the clipboard');
        } catch (err) {
          alertBox(b.copy);
        }
        return;
      case 'pay':
        openPayment(m);
        return;
      case 'web_app':
      case 'login':
        if (b.url) window.open(b.url, '_blank', 'noopener');
        return;
      default:
        toast('This kind of button is not simulated by the sandbox.', 'error');
    }
  }

  // Reply keyboards: the bot's last reply_keyboard in the chat, until a later message removes it.
  // A one-time keyboard folds away once the persona has written after it (the toggle shows it again).

  function currentReplyKeyboard() {
    let kb = null;
    let since = 0;
    for (const id of app.order) {
      const m = app.messages.get(id);
      if (m.sender.kind !== 'bot') continue;
      if (m.reply_keyboard) {
        kb = m.reply_keyboard;
        since = id;
      } else if (m.remove_keyboard) {
        kb = null;
      }
    }
    if (!kb) return null;
    const used = app.order.some((id) => id > since && app.messages.get(id).outgoing);
    return { kb, since, folded: kb.one_time && used };
  }

  function renderReplyKeyboard() {
    const box = $('[data-testid="reply-keyboard"]');
    const toggle = $('[data-testid="keyboard-toggle"]');
    const input = $('[data-testid="message-input"]');
    const current = app.chat && app.chat.can_write ? currentReplyKeyboard() : null;
    box.replaceChildren();
    toggle.hidden = !current;
    input.placeholder = (current && current.kb.placeholder) || (app.chat && app.chat.type === 'channel' ? 'Broadcast' : 'Message');
    if (!current) {
      box.hidden = true;
      return;
    }
    if (app.keyboardFor !== current.since) {
      app.keyboardFor = current.since;
      app.keyboardShown = null;
    }
    const hidden = app.keyboardShown === null ? current.folded : !app.keyboardShown;
    box.hidden = hidden;
    toggle.setAttribute('aria-pressed', hidden ? 'false' : 'true');
    for (const row of current.kb.rows) {
      const r = el('div', { class: 'keyboard-row' });
      for (const text of row) {
        r.append(el('button', {
          class: 'reply-button', type: 'button', 'data-testid': 'reply-button', 'data-button-text': text,
          onclick: () => {
            app.keyboardShown = null;
            sendText(text).catch(() => {});
          },
        }, text));
      }
      box.append(r);
    }
  }

  // The composer.

  function renderComposer() {
    const c = app.chat;
    const composer = $('[data-testid="composer"]');
    const startBar = $('[data-testid="start-bar"]');
    const readonly = $('[data-testid="readonly-bar"]');
    if (!c) return;
    const fresh = c.is_bot && app.order.length === 0;
    startBar.hidden = !fresh;
    readonly.hidden = c.can_write;
    readonly.textContent = c.can_write ? '' : 'You read this channel; its administrators post here.';
    composer.hidden = fresh || !c.can_write;
    // A channel's administrator starts and ends its video chat: the bot, an administrator
    // there too, sees the service message (a drop scheduled around then opens).
    $('[data-testid="stream-bar"]').hidden = !(c.type === 'channel' && c.can_write);
    $('[data-testid="menu-button"]').hidden = !(c.is_bot && app.state.commands.length);
    $('[data-testid="attach-button"]').hidden = c.type === 'channel';
    renderReplyKeyboard();
  }

  async function sendText(text) {
    if (!app.chatId) return;
    const chatId = app.chatId;
    try {
      await api('POST', 'api/send', { persona: app.persona, chat_id: chatId, text });
    } catch (err) {
      showError(err);
      throw err;
    }
  }

  async function submitComposer(ev) {
    if (ev) ev.preventDefault();
    const input = $('[data-testid="message-input"]');
    const text = input.value;
    if (app.attachment) {
      await sendAttachment(text);
      return;
    }
    if (!text.trim()) return;
    if (inlineQueryOf(text) !== null) {
      // "@bot words" is a query, not a message: choose a result instead.
      const first = $('[data-testid="inline-result"]');
      if (first) first.click();
      return;
    }
    input.value = '';
    autoGrow();
    closePopups();
    try {
      await sendText(text);
    } catch (err) {
      if (!input.value) input.value = text;
    }
  }

  function autoGrow() {
    const input = $('[data-testid="message-input"]');
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 160) + 'px';
  }

  // Inline mode: "@<bot> words" in any chat's input asks the bot and lists its results.

  function inlineQueryOf(text) {
    if (!app.state) return null;
    const name = app.state.bot.username;
    const m = /^@(\S+)(?:\s([\s\S]*))?$/.exec(text);
    if (!m || m[1].toLowerCase() !== name.toLowerCase()) return null;
    if (m[2] === undefined && !/\s$/.test(text)) return null;
    return (m[2] || '').trimStart();
  }

  function onInput() {
    autoGrow();
    const text = $('[data-testid="message-input"]').value;
    const query = inlineQueryOf(text);
    clearTimeout(app.inline.timer);
    if (query === null) {
      $('[data-testid="inline-results"]').hidden = true;
      return;
    }
    app.inline.timer = setTimeout(() => runInlineQuery(query, ''), 350);
  }

  async function runInlineQuery(query, offset) {
    const seq = ++app.inline.seq;
    const box = $('[data-testid="inline-results"]');
    box.hidden = false;
    if (!offset) box.replaceChildren(el('div', { class: 'inline-status', 'data-testid': 'inline-loading' }, `Asking @${app.state.bot.username}…`));
    try {
      const res = await api('POST', 'api/inline', { persona: app.persona, chat_id: app.chatId, query, offset });
      if (seq !== app.inline.seq) return;
      app.inline.queryId = res.query_id;
      app.inline.query = query;
      app.inline.nextOffset = res.next_offset || '';
      if (!offset) {
        box.replaceChildren();
        app.inline.results = [];
      } else {
        const more = box.querySelector('[data-testid="inline-more"]');
        if (more) more.remove();
      }
      app.inline.results.push(...res.results);
      const queryId = res.query_id;
      for (const r of res.results) {
        const thumb = r.thumb_url ? el('img', { class: 'inline-thumb', src: r.thumb_url, alt: '' }) : el('span', { class: 'inline-thumb' }, icon(r.type === 'photo' ? 'photo' : 'file', 22));
        box.append(el('button', {
          class: 'inline-result', type: 'button', 'data-testid': 'inline-result', 'data-result-id': r.id, 'data-result-title': r.title || '',
          onclick: () => chooseInlineResult(queryId, r),
        }, thumb, el('span', { class: 'inline-text' },
          el('div', { class: 'inline-title' }, r.title || previewText(r.text) || r.type),
          el('div', { class: 'inline-description' }, r.description || previewText(r.text)))));
      }
      if (!app.inline.results.length) box.append(el('div', { class: 'inline-status', 'data-testid': 'inline-empty' }, 'No results.'));
      if (app.inline.nextOffset) {
        box.append(el('button', { class: 'inline-result', type: 'button', 'data-testid': 'inline-more', onclick: () => runInlineQuery(query, app.inline.nextOffset) }, 'More results…'));
      }
    } catch (err) {
      if (seq !== app.inline.seq) return;
      box.replaceChildren(el('div', { class: 'inline-status', 'data-testid': 'inline-error' }, err.message));
    }
  }

  function previewText(text) {
    return (text || '').replace(/\s+/g, ' ').slice(0, 120);
  }

  async function chooseInlineResult(queryId, r) {
    const input = $('[data-testid="message-input"]');
    try {
      await api('POST', 'api/inline/send', { persona: app.persona, chat_id: app.chatId, query_id: queryId, result_id: r.id });
      input.value = '';
      autoGrow();
      $('[data-testid="inline-results"]').hidden = true;
    } catch (err) {
      showError(err);
    }
  }

  function closePopups() {
    $('[data-testid="inline-results"]').hidden = true;
    $('[data-testid="commands-menu"]').hidden = true;
    app.inline.seq++;
  }

  function toggleCommands() {
    const box = $('[data-testid="commands-menu"]');
    if (!box.hidden) {
      box.hidden = true;
      return;
    }
    box.replaceChildren();
    for (const c of app.state.commands) {
      box.append(el('button', {
        class: 'command-item', type: 'button', 'data-testid': 'command', 'data-command': c.command,
        onclick: () => {
          box.hidden = true;
          sendText('/' + c.command).catch(() => {});
        },
      }, el('b', {}, '/' + c.command), el('span', {}, c.description)));
    }
    box.hidden = false;
  }

  // Attachments: photos go as photos, other files as documents (a CSV for the seller's import).

  function pickFile() {
    $('[data-testid="file-input"]').click();
  }

  function onFilePicked() {
    const input = $('[data-testid="file-input"]');
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    const isImage = /^image\/(jpeg|png|gif)$/.test(file.type);
    app.attachment = { file, asPhoto: isImage };
    const box = $('[data-testid="attachment"]');
    box.replaceChildren(...[
      isImage ? el('img', { src: URL.createObjectURL(file), alt: '' }) : el('span', { class: 'attachment-icon' }, icon('file', 28)),
      el('span', { class: 'attachment-name', 'data-testid': 'attachment-name' }, file.name),
      el('span', {}, fileSize(file.size)),
      isImage ? el('label', {}, el('input', {
        type: 'checkbox', 'data-testid': 'attachment-as-file',
        onchange: (ev) => { app.attachment.asPhoto = !ev.target.checked; },
      }), 'send as a file') : null,
      el('button', { type: 'button', class: 'icon-button', 'data-testid': 'attachment-remove', title: 'Remove', onclick: clearAttachment }, '✕'),
    ].filter(Boolean));
    box.hidden = false;
    const text = $('[data-testid="message-input"]');
    text.placeholder = 'Add a caption…';
    text.focus();
  }

  function clearAttachment() {
    app.attachment = null;
    const box = $('[data-testid="attachment"]');
    box.hidden = true;
    box.replaceChildren();
    renderReplyKeyboard();
  }

  async function sendAttachment(caption) {
    const { file, asPhoto } = app.attachment;
    const form = new FormData();
    form.append('persona', app.persona);
    form.append('chat_id', app.chatId);
    form.append('caption', caption || '');
    form.append('as', asPhoto ? 'photo' : 'document');
    form.append('file', file, file.name);
    const input = $('[data-testid="message-input"]');
    try {
      await api('POST', 'api/upload', form);
      clearAttachment();
      input.value = '';
      autoGrow();
    } catch (err) {
      showError(err);
    }
  }

  // Documents: CSV and text open in a viewer; everything downloads.

  function parseCSV(text) {
    const rows = [];
    let row = [];
    let field = '';
    let quoted = false;
    const sep = text.indexOf('\t') >= 0 && text.indexOf(',') < 0 ? '\t' : (text.split('\n')[0].split(';').length > text.split('\n')[0].split(',').length ? ';' : ',');
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === sep) {
        row.push(field);
        field = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        row.push(field);
        rows.push(row);
        row = [];
        field = '';
      } else {
        field += ch;
      }
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  async function viewDocument(doc) {
    const res = await fetch(doc.url + '?download=1');
    if (!res.ok) throw new Error('The file is gone from the sandbox.');
    const text = await res.text();
    const dialog = $('[data-testid="document-viewer"]');
    const body = el('div', { class: 'viewer-body', 'data-testid': 'document-content' });
    if (/\.(csv|tsv)$/i.test(doc.name || '') || /csv|tab-separated/.test(doc.mime_type || '')) {
      const rows = parseCSV(text.replace(/^\uFEFF/, ''));
      const table = el('table', { 'data-testid': 'document-table' });
      rows.forEach((row, i) => {
        table.append(el('tr', {}, row.map((cell) => el(i === 0 ? 'th' : 'td', {}, cell))));
      });
      body.append(table);
    } else {
      body.append(el('pre', {}, text));
    }
    dialog.replaceChildren(
      el('h2', {}, doc.name || 'File'),
      el('p', { class: 'pay-muted' }, fileSize(doc.size)),
      body,
      el('div', { class: 'modal-buttons' },
        el('a', { href: doc.url + '?download=1', download: doc.name || 'file', class: 'button-link primary', 'data-testid': 'viewer-download' }, 'Download'),
        el('button', { type: 'button', 'data-testid': 'viewer-close', onclick: () => dialog.close() }, 'Close')));
    dialog.showModal();
  }

  // Payments: Telegram's order. The form (address and contact details when the invoice asks for
  // them), then for a flexible invoice the shipping query and a choice among the bot's options, then
  // the pre-checkout query, then the receipt or the bot's reason to decline.

  const demoAddress = { country_code: 'RU', state: 'Moscow', city: 'Moscow', street_line1: 'Tverskaya 1', street_line2: 'apt. 1', post_code: '125009' };

  function openPayment(m) {
    const inv = m.invoice;
    if (inv.paid) {
      toast('This invoice is already paid.');
      return;
    }
    const persona = app.state.persona;
    const pay = {
      m,
      name: persona ? persona.name : '',
      phone: '+7 900 ' + String(app.persona).slice(-7).padStart(7, '0').replace(/(\d{3})(\d{2})(\d{2})/, '$1-$2-$3'),
      email: `user${app.persona}@example.com`,
      address: { ...demoAddress },
      quote: null,
      optionId: '',
      failAtProvider: false,
    };
    renderPayForm(pay);
    const dialog = $('[data-testid="payment-dialog"]');
    if (!dialog.open) dialog.showModal();
  }

  function priceTable(inv, option) {
    const table = el('table', { class: 'pay-prices', 'data-testid': 'pay-prices' });
    for (const p of inv.prices) table.append(el('tr', {}, el('td', {}, p.label), el('td', {}, p.amount_text)));
    if (option) table.append(el('tr', {}, el('td', {}, option.title), el('td', {}, option.amount_text)));
    table.append(el('tr', { class: 'total' }, el('td', {}, 'Total'), el('td', { 'data-testid': 'pay-total' }, option ? option.total_text : inv.total_text)));
    return table;
  }

  function field(label, testid, value, onchange, type) {
    return el('label', { class: 'pay-field' }, label,
      el('input', { type: type || 'text', value, 'data-testid': testid, oninput: (ev) => onchange(ev.target.value) }));
  }

  function payDialog(...children) {
    const dialog = $('[data-testid="payment-dialog"]');
    dialog.replaceChildren(...children.filter(Boolean));
    return dialog;
  }

  function cancelButton(label) {
    return el('button', { type: 'button', 'data-testid': 'pay-cancel', onclick: () => $('[data-testid="payment-dialog"]').close() }, label || 'Cancel');
  }

  function renderPayForm(pay) {
    const inv = pay.m.invoice;
    const stars = inv.currency === 'XTR';
    const parts = [
      el('h2', {}, inv.title),
      el('p', { class: 'pay-muted' }, inv.description),
      priceTable(inv, null),
    ];
    if (inv.need_name || inv.need_phone || inv.need_email) {
      parts.push(el('div', { class: 'pay-section' }, 'Contact'));
      if (inv.need_name) parts.push(field('Name', 'pay-name', pay.name, (v) => { pay.name = v; }));
      if (inv.need_phone) parts.push(field('Phone', 'pay-phone', pay.phone, (v) => { pay.phone = v; }, 'tel'));
      if (inv.need_email) parts.push(field('Email', 'pay-email', pay.email, (v) => { pay.email = v; }, 'email'));
    }
    if (inv.need_shipping) {
      const a = pay.address;
      parts.push(el('div', { class: 'pay-section' }, 'Shipping address'),
        field('Address', 'pay-address-street1', a.street_line1, (v) => { a.street_line1 = v; }),
        field('Address, line 2', 'pay-address-street2', a.street_line2, (v) => { a.street_line2 = v; }),
        el('div', { class: 'pay-grid' },
          field('City', 'pay-address-city', a.city, (v) => { a.city = v; }),
          field('State', 'pay-address-state', a.state, (v) => { a.state = v; }),
          field('Country code', 'pay-address-country', a.country_code, (v) => { a.country_code = v; }),
          field('Post code', 'pay-address-postcode', a.post_code, (v) => { a.post_code = v; })));
    }
    if (!stars) {
      parts.push(el('label', { class: 'pay-check' },
        el('input', { type: 'checkbox', 'data-testid': 'pay-fail-provider', checked: pay.failAtProvider, onchange: (ev) => { pay.failAtProvider = ev.target.checked; } }),
        'Simulate a card the payment provider declines'));
    } else {
      parts.push(el('p', { class: 'pay-muted' }, 'Paid with Telegram Stars from the sandbox balance.'));
    }
    const error = el('p', { class: 'pay-error', 'data-testid': 'pay-error', hidden: true });
    parts.push(error);
    let primary;
    if (inv.flexible) {
      primary = el('button', {
        type: 'button', class: 'primary', 'data-testid': 'pay-continue',
        onclick: async () => {
          primary.disabled = true;
          error.hidden = true;
          try {
            const quote = await api('POST', 'api/pay/shipping', { persona: app.persona, chat_id: pay.m.chat_id, message_id: pay.m.id, address: pay.address });
            if (quote.status !== 'ok') {
              error.textContent = quote.status === 'timed_out' ? 'The bot did not answer the shipping query in time.' : (quote.error_message || 'The bot does not ship to this address.');
              error.hidden = false;
              return;
            }
            pay.quote = quote;
            pay.optionId = quote.options.length ? quote.options[0].id : '';
            renderPayShipping(pay);
          } catch (err) {
            error.textContent = err.message;
            error.hidden = false;
          } finally {
            primary.disabled = false;
          }
        },
      }, 'Continue');
    } else {
      primary = el('button', { type: 'button', class: 'primary', 'data-testid': 'pay-confirm', onclick: () => submitPayment(pay) }, `Pay ${inv.total_text}`);
    }
    payDialog(...parts, el('div', { class: 'modal-buttons' }, cancelButton(), primary));
  }

  function renderPayShipping(pay) {
    const inv = pay.m.invoice;
    const options = pay.quote.options;
    const selected = () => options.find((o) => o.id === pay.optionId) || options[0];
    const table = el('div');
    const confirm = el('button', { type: 'button', class: 'primary', 'data-testid': 'pay-confirm', onclick: () => submitPayment(pay) });
    const refresh = () => {
      table.replaceChildren(priceTable(inv, selected()));
      confirm.textContent = `Pay ${selected().total_text}`;
    };
    const list = el('div', { 'data-testid': 'shipping-options' });
    for (const o of options) {
      list.append(el('label', { class: 'shipping-option', 'data-testid': 'shipping-option', 'data-option-id': o.id, 'data-option-title': o.title },
        el('input', {
          type: 'radio', name: 'shipping-option', value: o.id, checked: o.id === pay.optionId,
          onchange: () => { pay.optionId = o.id; refresh(); },
        }),
        el('span', {}, o.title),
        el('b', {}, o.amount_text)));
    }
    refresh();
    payDialog(
      el('h2', {}, inv.title),
      el('p', { class: 'pay-muted' }, `Shipping to ${pay.address.street_line1}, ${pay.address.city}`),
      el('div', { class: 'pay-section' }, 'Shipping method'),
      list,
      table,
      el('div', { class: 'modal-buttons' },
        el('button', { type: 'button', 'data-testid': 'pay-back', onclick: () => renderPayForm(pay) }, 'Back'),
        cancelButton(),
        confirm));
  }

  const payOutcomes = {
    declined: 'The bot declined the payment.',
    shipping_rejected: 'The bot does not ship to this address.',
    timed_out: 'The bot did not confirm the payment in time (Telegram waits 10 seconds).',
    provider_failed: 'The payment provider declined the card. No money was taken.',
  };

  async function submitPayment(pay) {
    const inv = pay.m.invoice;
    payDialog(el('h2', {}, inv.title), el('div', { class: 'spinner', 'data-testid': 'pay-processing' }), el('p', { class: 'pay-muted', style: 'text-align:center' }, 'Processing the payment…'));
    const body = {
      persona: app.persona, chat_id: pay.m.chat_id, message_id: pay.m.id, name: pay.name, phone: pay.phone, email: pay.email,
      fail_at_provider: pay.failAtProvider,
    };
    if (pay.quote) {
      body.quote_id = pay.quote.quote_id;
      body.shipping_option_id = pay.optionId;
    } else if (inv.need_shipping) {
      body.address = pay.address;
    }
    try {
      const res = await api('POST', 'api/pay', body);
      if (res.status === 'paid') {
        const m = app.messages.get(pay.m.id);
        if (m && m.invoice && app.chat && app.chat.type === 'private') {
          m.invoice.paid = true;
          applyMessage(m, 'message_edited');
        }
        payDialog(
          el('div', { class: 'pay-result', 'data-testid': 'pay-success' },
            el('div', { class: 'big' }, '✅'),
            el('h2', {}, 'Payment successful'),
            el('p', { class: 'pay-muted' }, `${res.total_text} paid to ${app.state.bot.name}.`),
            res.warning ? el('p', { class: 'pay-error' }, res.warning) : null),
          el('div', { class: 'modal-buttons' }, el('button', { type: 'button', class: 'primary', 'data-testid': 'pay-close', onclick: () => $('[data-testid="payment-dialog"]').close() }, 'Done')));
        return;
      }
      payDialog(
        el('div', { class: 'pay-result', 'data-testid': 'pay-failed', 'data-status': res.status },
          el('div', { class: 'big' }, '⚠️'),
          el('h2', {}, 'Payment failed'),
          el('p', { class: 'pay-error', 'data-testid': 'pay-error' }, res.error_message || payOutcomes[res.status] || res.status)),
        el('div', { class: 'modal-buttons' }, el('button', { type: 'button', class: 'primary', 'data-testid': 'pay-close', onclick: () => $('[data-testid="payment-dialog"]').close() }, 'Close')));
    } catch (err) {
      payDialog(
        el('div', { class: 'pay-result', 'data-testid': 'pay-failed', 'data-status': 'error' },
          el('h2', {}, 'Payment failed'),
          el('p', { class: 'pay-error', 'data-testid': 'pay-error' }, err.message)),
        el('div', { class: 'modal-buttons' }, el('button', { type: 'button', class: 'primary', 'data-testid': 'pay-close', onclick: () => $('[data-testid="payment-dialog"]').close() }, 'Close')));
    }
  }

  // A simulated Telegram outage: while it is on, the sandbox's Bot API fails every call of the bot
  // (500 Internal Server Error, or no answer at all). The bot keeps the updates and retries with a
  // backoff that grows to a minute, so its answers come within a minute of the outage's end.

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function renderOutage(o) {
    if (!o) return;
    const was = app.outage.on;
    app.outage = o;
    const toggle = $('[data-testid="outage-toggle"]');
    const mode = $('[data-testid="outage-mode"]');
    const banner = $('[data-testid="outage-banner"]');
    toggle.checked = o.on;
    if (o.on) mode.value = o.mode;
    document.body.dataset.outage = o.on ? o.mode : 'off';
    banner.hidden = !o.on;
    banner.dataset.mode = o.on ? o.mode : '';
    banner.dataset.refused = String(o.refused || 0);
    banner.dataset.held = String(o.held || 0);
    if (o.on) {
      const hang = o.mode === 'hang';
      $('[data-testid="outage-detail"]', banner).textContent = (hang
        ? 'Nothing answers: the Bot API leaves the bot\'s calls without an answer.'
        : 'Nothing answers: the Bot API refuses the bot\'s calls with 500 Internal Server Error.')
        + ' The bot keeps your messages and retries; switch the outage off and its answers arrive within a minute.';
      $('[data-testid="outage-count"]', banner).textContent = hang
        ? `${plural(o.held, 'call', 'calls')} waiting for an answer.`
        : `${plural(o.refused, 'call', 'calls')} refused so far.`;
    }
    if (was && !o.on) toast('Telegram is back: the bot\'s answers arrive within a minute.');
  }

  async function setOutage(on, mode) {
    const toggle = $('[data-testid="outage-toggle"]');
    toggle.disabled = true;
    try {
      renderOutage(await api('POST', 'api/outage', { on, mode }));
    } catch (err) {
      toggle.checked = app.outage.on;
      showError(err);
    } finally {
      toggle.disabled = false;
    }
  }

  // Live updates.

  function setConnection(state, text) {
    const node = $('[data-testid="connection"]');
    node.dataset.state = state;
    $('.connection-text', node).textContent = text;
  }

  // connectEvents follows the persona's live events. The promise it returns resolves once the
  // stream is open (its first hello), so that what the caller loads next misses nothing that
  // happens after; also when the stream fails or is slow to open, so that the page still
  // works without it.
  function connectEvents() {
    if (app.es) app.es.close();
    if (app.esOpened) app.esOpened();
    app.esOpened = null;
    if (!app.persona) return Promise.resolve();
    const es = new EventSource('api/events?persona=' + encodeURIComponent(app.persona));
    app.es = es;
    app.esFirst = true;
    const opened = new Promise((resolve) => {
      app.esOpened = resolve;
      setTimeout(resolve, 3000);
    });
    setConnection('connecting', 'connecting…');
    es.onopen = () => setConnection('open', 'live');
    es.onmessage = (e) => {
      if (es !== app.es) return;
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      handleEvent(ev);
    };
    es.onerror = () => {
      if (es !== app.es) return;
      if (app.esOpened) app.esOpened();
      app.esOpened = null;
      if (es.readyState === EventSource.CLOSED) {
        // The server answered with an error: EventSource gives up, so try again ourselves. The
        // new stream's hello is a reconnect's: it reloads what may have changed meanwhile.
        setConnection('closed', 'offline, retrying…');
        setTimeout(() => {
          if (es !== app.es) return;
          connectEvents();
          app.esFirst = false;
        }, 3000);
      } else {
        setConnection('connecting', 'reconnecting…');
      }
    };
    return opened;
  }

  function reloadAll() {
    loadState()
      .then(() => (app.chatId ? openChat(app.chatId) : null))
      .catch(showError);
  }

  function handleEvent(ev) {
    if (ev.seq) document.body.dataset.eventSeq = String(ev.seq);
    switch (ev.kind) {
      case 'hello':
        setConnection('open', 'live');
        if (!app.esFirst) reloadAll(); // events may have been missed while disconnected
        app.esFirst = false;
        if (app.esOpened) app.esOpened();
        app.esOpened = null;
        return;
      case 'resync':
        reloadAll();
        return;
      case 'activity':
        scheduleStateRefresh();
        return;
      case 'message_new':
      case 'message_edited':
      case 'message_deleted':
        if (app.loading && ev.chat_id === app.loading.chatId && ev.message) app.loading.events.push(ev);
        if (ev.chat_id === app.chatId && ev.message) {
          applyMessage(ev.message, ev.kind);
          if (ev.kind === 'message_new' && ev.message.sender.kind !== 'user') setStatus();
          renderComposer();
          markRead();
        }
        scheduleStateRefresh();
        return;
      case 'chat_action':
        if (ev.chat_id === app.chatId) {
          const labels = { typing: 'typing…', upload_photo: 'sending a photo…', upload_document: 'sending a file…' };
          setStatus(labels[ev.action] || ev.action.replace(/_/g, ' ') + '…');
          clearTimeout(app.typingTimer);
          app.typingTimer = setTimeout(() => setStatus(), 5000);
        }
        return;
      case 'payment':
        if (ev.status === 'paid' && ev.message_id && ev.chat_id === app.chatId && app.chat && app.chat.type === 'private') {
          const m = app.messages.get(ev.message_id);
          if (m && m.invoice && !m.invoice.paid) {
            m.invoice.paid = true;
            applyMessage(m, 'message_edited');
          }
        }
        if (ev.status === 'refunded' && ev.total_text) toast(`Refunded ${ev.total_text}`);
        scheduleStateRefresh();
        return;
      case 'webhook_failed':
        toast('The bot did not take an update: ' + ev.error, 'error');
        return;
      case 'outage':
        renderOutage(ev.outage);
        return;
      default:
    }
  }

  // Start.

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    return { persona: Number(params.get('persona')) || null, chat: Number(params.get('chat')) || null };
  }

  async function start() {
    const input = $('[data-testid="message-input"]');
    $('[data-testid="composer"]').addEventListener('submit', (ev) => submitComposer(ev));
    $('[data-testid="stream-start"]').addEventListener('click', () => setStream(true));
    $('[data-testid="stream-end"]').addEventListener('click', () => setStream(false));
    input.addEventListener('input', onInput);
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        submitComposer();
      } else if (ev.key === 'Escape') {
        closePopups();
      }
    });
    $('[data-testid="start-button"]').addEventListener('click', () => sendText('/start').catch(() => {}));
    $('[data-testid="menu-button"]').addEventListener('click', toggleCommands);
    $('[data-testid="attach-button"]').addEventListener('click', pickFile);
    $('[data-testid="file-input"]').addEventListener('change', onFilePicked);
    $('[data-testid="keyboard-toggle"]').addEventListener('click', () => {
      // Shows a one-time keyboard the persona already used, or hides the current one.
      app.keyboardShown = $('[data-testid="reply-keyboard"]').hidden;
      renderReplyKeyboard();
    });
    $('[data-testid="back-button"]').addEventListener('click', () => {
      $('#app').dataset.view = 'list';
    });
    $('[data-testid="alert-ok"]').addEventListener('click', () => $('[data-testid="alert-dialog"]').close());
    const outageToggle = $('[data-testid="outage-toggle"]');
    const outageMode = $('[data-testid="outage-mode"]');
    outageToggle.addEventListener('change', () => setOutage(outageToggle.checked, outageMode.value));
    outageMode.addEventListener('change', () => {
      if (app.outage.on) setOutage(true, outageMode.value);
    });
    $('[data-testid="outage-end"]').addEventListener('click', () => setOutage(false, outageMode.value));
    window.addEventListener('hashchange', () => {
      const h = readHash();
      if (h.persona && h.persona !== app.persona) switchPersona(h.persona);
      else if (h.chat && h.chat !== app.chatId) openChat(h.chat).catch(showError);
    });

    $('#app').dataset.hasChat = 'false';
    $('#app').dataset.view = 'list';
    const h = readHash();
    app.persona = h.persona || Number(localStorage.getItem('vitrina.sandbox.persona')) || null;
    try {
      try {
        await loadState();
      } catch (err) {
        // A remembered persona that is gone: start with the first one.
        app.persona = null;
        await loadState();
      }
      // Follow the persona's events, then load the state again: nothing that happened since
      // the first load is lost.
      await connectEvents();
      await loadState();
      const remembered = h.chat || Number(localStorage.getItem('vitrina.sandbox.chat.' + app.persona));
      const chat = app.state.chats.find((c) => c.id === remembered) || app.state.chats[0];
      if (chat) await openChat(chat.id, { keepView: !h.chat && window.matchMedia('(max-width: 760px)').matches });
    } catch (err) {
      showError(err);
    } finally {
      document.body.dataset.ready = '1';
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
