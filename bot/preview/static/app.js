// The preview page: draws the two chats from the server's events and sends what you do.
// Message HTML arrives already sanitized; it is still rebuilt here node by node from an
// allow-list, so nothing but text and Telegram's formatting tags ever reaches the DOM.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const ALLOWED_TAGS = new Set(["B", "I", "U", "S", "CODE", "PRE", "BLOCKQUOTE", "A", "SPAN"]);
  const DROPPED_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "TITLE"]);
  const SAFE_URL = /^(https?:|tg:|mailto:|tel:)/i;
  const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+#.-]{1,32}$/;

  const lists = { patient: $("patient-messages"), manager: $("manager-messages") };
  let socket = null;
  let state = null;
  let replyTo = null; // {id, snippet} of the manager-chat message being answered

  // ---------------------------------------------------------------- safe HTML

  function copySafe(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.appendChild(document.createTextNode(node.nodeValue));
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || DROPPED_TAGS.has(node.tagName)) continue;
      if (!ALLOWED_TAGS.has(node.tagName)) {
        copySafe(node, to); // unknown tag: keep its text only
        continue;
      }
      const element = document.createElement(node.tagName.toLowerCase());
      if (node.tagName === "A") {
        const href = (node.getAttribute("href") || "").trim();
        if (SAFE_URL.test(href)) {
          element.href = href;
          element.target = "_blank";
          element.rel = "noopener noreferrer nofollow";
        }
      } else if (node.tagName === "SPAN") {
        if (node.classList.contains("spoiler")) {
          element.className = "spoiler";
          element.title = "spoiler: click to show";
          element.addEventListener("click", () => element.classList.toggle("shown"));
        }
      } else if (node.tagName === "CODE") {
        const language = node.getAttribute("class") || "";
        if (LANGUAGE_CLASS.test(language)) element.className = language;
      } else if (node.tagName === "BLOCKQUOTE" && node.classList.contains("expandable")) {
        element.className = "expandable";
      }
      copySafe(node, element);
      to.appendChild(element);
    }
  }

  function safeFragment(html) {
    // DOMParser documents are inert: no script runs and no resource loads while parsing.
    const parsed = new DOMParser().parseFromString(String(html || ""), "text/html");
    const fragment = document.createDocumentFragment();
    copySafe(parsed.body, fragment);
    return fragment;
  }

  // ---------------------------------------------------------------- drawing

  function div(className, text) {
    const element = document.createElement("div");
    element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function clock(seconds) {
    if (!seconds) return "";
    const date = new Date(seconds * 1000);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function paneOf(chatId) {
    if (!state) return null;
    if (chatId === state.patient.id) return "patient";
    if (chatId === state.manager_chat.id) return "manager";
    return null;
  }

  function messageElement(pane, view) {
    const element = div(`message ${view.from_bot ? "in" : "out"}`);
    element.dataset.id = String(view.id);
    const bubble = div("bubble");
    if (pane === "manager") bubble.appendChild(div("sender", view.sender));
    if (view.reply_to) bubble.appendChild(div("quote", view.reply_to.snippet || "…"));
    const text = div("text");
    text.appendChild(safeFragment(view.html));
    bubble.appendChild(text);
    bubble.appendChild(div("meta", `${view.edited ? "edited " : ""}${clock(view.date)}`));
    element.appendChild(bubble);

    if (view.buttons && view.buttons.length) {
      const keyboard = div("inline-keyboard");
      for (const row of view.buttons) {
        const line = div("row");
        for (const button of row) {
          const node = document.createElement("button");
          node.type = "button";
          node.textContent = button.text;
          if (typeof button.data === "string") {
            node.addEventListener("click", () =>
              send({ type: "press", chat: pane, message_id: view.id, data: button.data }),
            );
          } else if (typeof button.url === "string" && SAFE_URL.test(button.url)) {
            node.title = button.url;
            node.addEventListener("click", () => window.open(button.url, "_blank", "noopener"));
          } else {
            node.disabled = true;
          }
          line.appendChild(node);
        }
        keyboard.appendChild(line);
      }
      element.appendChild(keyboard);
    }
    if (pane === "manager" && view.from_bot) {
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "reply-action";
      reply.textContent = "↩ Reply";
      reply.title = "Answer this card: the bot relays your reply to the patient";
      reply.addEventListener("click", () => startReply(view));
      element.appendChild(reply);
    }
    return element;
  }

  function upsert(pane, view) {
    const list = lists[pane];
    const fresh = messageElement(pane, view);
    const old = list.querySelector(`.message[data-id="${view.id}"]`);
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    if (old) {
      // An edit replaces the message where it is; a reader at the bottom stays there.
      if (old.classList.contains("highlight")) fresh.classList.add("highlight");
      old.replaceWith(fresh);
      if (atBottom) list.scrollTop = list.scrollHeight;
      return;
    }
    list.appendChild(fresh);
    list.scrollTop = list.scrollHeight;
    if (pane === "patient") showStartWhenEmpty();
  }

  function remove(pane, messageId) {
    const old = lists[pane].querySelector(`.message[data-id="${messageId}"]`);
    if (old) old.remove();
    if (pane === "manager" && replyTo && replyTo.id === messageId) cancelReply();
    showStartWhenEmpty();
  }

  // Like Telegram, an empty chat with a bot offers a Start button that sends /start.
  function showStartWhenEmpty() {
    $("patient-empty").hidden = lists.patient.children.length > 0;
  }

  function drawKeyboard(keyboard) {
    const container = $("patient-keyboard");
    container.replaceChildren();
    const input = $("patient-input");
    input.placeholder = (keyboard && keyboard.placeholder) || "Message";
    if (!keyboard) return;
    for (const row of keyboard.rows) {
      const line = div("row");
      for (const button of row) {
        const node = document.createElement("button");
        node.type = "button";
        node.textContent = button.text;
        if (button.contact) {
          node.classList.add("contact");
          node.title = "Shares the patient's phone number as a contact";
        }
        node.addEventListener("click", () => send({ type: "tap", text: button.text }));
        line.appendChild(node);
      }
      container.appendChild(line);
    }
  }

  function drawState(next) {
    state = next;
    $("patient-name").textContent = next.patient.name;
    $("manager-title").textContent = next.manager_chat.title;
    $("manager-name").textContent = next.manager.name;
    $("watching").hidden = !next.watching;
    $("watching").title = next.content_dir;
    for (const button of document.querySelectorAll(".lang")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === next.patient.language));
    }
    for (const pane of ["patient", "manager"]) {
      lists[pane].replaceChildren();
      for (const view of next.chats[pane]) upsert(pane, view);
    }
    showStartWhenEmpty();
    if (next.clock) drawClock(next.clock);
    drawKeyboard(next.keyboard);
    cancelReply();
    if (next.content_error) showError(next.content_error);
    else if (!next.bot_running) showBanner("The bot is not running", "", false);
    else hideBanner();
  }

  function drawClock(clock) {
    const label = clock.ahead_hours ? `${clock.label} (+${clock.ahead_hours} h)` : clock.label;
    $("clock").textContent = `🕒 ${label}`;
  }

  // ---------------------------------------------------------------- banners and toasts

  let bannerTimer = null;

  function showBanner(title, text, ok) {
    clearTimeout(bannerTimer);
    const banner = $("banner");
    banner.classList.toggle("ok", Boolean(ok));
    $("banner-title").textContent = title;
    $("banner-text").textContent = text;
    $("banner-text").hidden = !text;
    banner.hidden = false;
  }

  function showError(message) {
    showBanner("Content error: the previous texts stay in use until this is fixed", message, false);
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  function toast(text, kind) {
    const node = div(`toast ${kind || ""}`, text);
    $("toasts").appendChild(node);
    if (kind === "alert") {
      const ok = document.createElement("button");
      ok.type = "button";
      ok.textContent = "OK";
      ok.addEventListener("click", () => node.remove());
      node.appendChild(ok);
    } else {
      setTimeout(() => node.remove(), 4000);
    }
  }

  // ---------------------------------------------------------------- replies

  function startReply(view) {
    cancelReply();
    replyTo = { id: view.id };
    const element = lists.manager.querySelector(`.message[data-id="${view.id}"]`);
    if (element) element.classList.add("highlight");
    const text = element ? element.querySelector(".text").textContent : "";
    $("reply-snippet").textContent = text.split("\n")[0].slice(0, 80);
    $("reply-bar").hidden = false;
    $("manager-input").focus();
  }

  function cancelReply() {
    if (replyTo) {
      const element = lists.manager.querySelector(`.message[data-id="${replyTo.id}"]`);
      if (element) element.classList.remove("highlight");
    }
    replyTo = null;
    $("reply-bar").hidden = true;
  }

  // ---------------------------------------------------------------- the connection

  function send(action) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      toast("Not connected to the preview", "error");
      return;
    }
    socket.send(JSON.stringify(action));
  }

  function handle(event) {
    switch (event.type) {
      case "state":
        drawState(event);
        break;
      case "message": {
        const pane = paneOf(event.chat_id);
        if (pane) upsert(pane, event.message);
        break;
      }
      case "delete": {
        const pane = paneOf(event.chat_id);
        if (pane) remove(pane, event.message_id);
        break;
      }
      case "keyboard":
        if (paneOf(event.chat_id) === "patient") drawKeyboard(event.keyboard);
        break;
      case "toast":
        toast(event.text, event.alert ? "alert" : "");
        break;
      case "clock":
        drawClock(event);
        break;
      case "api_error":
        toast(`Bot API error in ${event.method}: ${event.description}`, "error");
        break;
      case "content_error":
        showError(event.message);
        break;
      case "reloaded":
        showBanner("Content reloaded", "", true);
        bannerTimer = setTimeout(hideBanner, 3000);
        break;
      default:
        break;
    }
  }

  function connect() {
    const connection = $("connection");
    socket = new WebSocket(`ws://${location.host}/ws`);
    socket.addEventListener("open", () => {
      connection.textContent = "connected";
      connection.classList.remove("offline");
    });
    socket.addEventListener("message", (message) => handle(JSON.parse(message.data)));
    socket.addEventListener("close", () => {
      connection.textContent = "disconnected: retrying…";
      connection.classList.add("offline");
      setTimeout(connect, 1000);
    });
  }

  // ---------------------------------------------------------------- inputs

  $("patient-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("patient-input");
    if (!input.value.trim()) return;
    send({ type: "send", chat: "patient", text: input.value });
    input.value = "";
  });

  $("manager-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("manager-input");
    if (!input.value.trim()) return;
    send({ type: "send", chat: "manager", text: input.value, reply_to: replyTo ? replyTo.id : null });
    input.value = "";
    cancelReply();
  });

  $("reply-cancel").addEventListener("click", cancelReply);

  $("patient-start").addEventListener("click", () =>
    send({ type: "send", chat: "patient", text: "/start" }),
  );

  for (const button of document.querySelectorAll(".lang")) {
    button.addEventListener("click", () => send({ type: "language", language: button.dataset.lang }));
  }

  for (const button of document.querySelectorAll(".advance")) {
    button.addEventListener("click", () => send({ type: "advance", hours: Number(button.dataset.hours) }));
  }

  connect();
})();
