/* Quiet Door web chat.
 *
 * Talks to the gateway's POST /webhooks/rest/webhook. Keeps the tab's chat (sender id and
 * transcript) in sessionStorage only: no cookies, no localStorage. Quick exit (button, skip link,
 * Shift pressed 3 times within 5 seconds, or a reply marked "exit") blanks the page, clears the
 * storage and the transcript, asks the server to delete the conversation, and replaces this page
 * in the history with the exit address, so Back does not return here.
 */
(function () {
  'use strict';

  var STORE_KEY = 'quietdoor-chat';
  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 5000;
  var ANNOUNCE = {
    two: 'Shift, press 2 more times to exit.',
    one: 'Shift, press 1 more time to exit.',
    expired: 'Exit this page expired.',
    activated: 'Loading.'
  };
  var OFFLINE_TEXT = 'Sorry, your message could not be sent. Check your connection. ' +
    'What you typed is still in the message box, so you can press Try again.';
  var REJECTED_TEXT = 'Sorry, that message could not be sent. You can change it and send it again.';

  var exitUrl = document.body.getAttribute('data-exit-url');
  var overlay = document.getElementById('exit-overlay');
  var exitStatus = document.getElementById('exit-status');
  var dots = document.querySelectorAll('.exit__dot');
  var transcript = document.getElementById('transcript');
  var announcer = document.getElementById('announcer');
  var typing = document.getElementById('typing');
  var form = document.getElementById('composer');
  var input = document.getElementById('message');
  var offlineHelp = document.getElementById('offline-help');

  var exiting = false;
  var busy = false;
  var state = loadState() || { sender: newSender(), items: [] };

  /* ---------- quick exit ---------- */

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    if (exiting) { return; }
    exiting = true;
    overlay.hidden = false;
    exitStatus.textContent = ANNOUNCE.activated;
    var sender = state.sender;
    try { window.sessionStorage.clear(); } catch (e) { /* storage blocked: nothing kept */ }
    state = { sender: sender, items: [] };
    transcript.replaceChildren();
    input.value = '';
    forgetOnServer(sender);
    window.location.replace(exitUrl);
  }

  function forgetOnServer(sender) {
    var body = JSON.stringify({ sender: sender });
    var queued = false;
    try {
      queued = navigator.sendBeacon('/chat/exit', new Blob([body], { type: 'application/json' }));
    } catch (e) { queued = false; }
    if (!queued) {
      try {
        fetch('/chat/exit', {
          method: 'POST', keepalive: true, body: body,
          headers: { 'Content-Type': 'application/json' }
        });
      } catch (e) { /* the conversation still expires on its own */ }
    }
  }

  var shiftCount = 0;
  var shiftTimer = null;
  var shiftUsedWithOtherKey = false;

  function showShiftCount() {
    for (var i = 0; i < dots.length; i++) {
      dots[i].classList.toggle('is-on', i < shiftCount);
    }
  }

  function resetShift(announceExpiry) {
    shiftCount = 0;
    if (shiftTimer) { window.clearTimeout(shiftTimer); shiftTimer = null; }
    showShiftCount();
    exitStatus.textContent = announceExpiry ? ANNOUNCE.expired : '';
  }

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Shift') {
      if (!event.repeat) { shiftUsedWithOtherKey = false; }
      return;
    }
    shiftUsedWithOtherKey = true;
    if (shiftCount > 0) { resetShift(false); }
  });

  document.addEventListener('keyup', function (event) {
    if (event.key !== 'Shift' || shiftUsedWithOtherKey || exiting) { return; }
    shiftCount += 1;
    showShiftCount();
    if (shiftCount >= SHIFT_PRESSES) {
      quickExit();
      return;
    }
    if (shiftCount === 1) {
      shiftTimer = window.setTimeout(function () { resetShift(true); }, SHIFT_WINDOW_MS);
    }
    exitStatus.textContent = SHIFT_PRESSES - shiftCount === 2 ? ANNOUNCE.two : ANNOUNCE.one;
  });

  var exitLinks = document.querySelectorAll('[data-quick-exit]');
  for (var i = 0; i < exitLinks.length; i++) {
    exitLinks[i].addEventListener('click', quickExit);
    /* The exit link says role="button", so Space works on it as on any button. */
    exitLinks[i].addEventListener('keydown', function (event) {
      if (event.key === ' ') { quickExit(event); }
    });
  }

  /* ---------- storage (this tab only) ---------- */

  function newSender() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY));
      if (saved && typeof saved.sender === 'string' && Array.isArray(saved.items)) {
        return saved;
      }
    } catch (e) { /* nothing usable stored */ }
    return null;
  }

  function saveState() {
    if (exiting) { return; }
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* ok */ }
  }

  /* ---------- transcript ---------- */

  function lastUserIndex() {
    for (var i = state.items.length - 1; i >= 0; i--) {
      if (state.items[i].who === 'user') { return i; }
    }
    return -1;
  }

  function render() {
    var latestUser = lastUserIndex();
    var nodes = [];
    state.items.forEach(function (item, index) {
      var li = document.createElement('li');
      li.className = 'msg msg--' + item.who;
      if (item.kind === 'emergency') { li.className += ' msg--emergency'; }
      if (item.kind === 'problem') { li.className += ' msg--problem'; }
      if (item.status === 'failed') { li.className += ' msg--failed'; }

      var who = document.createElement('span');
      who.className = 'visually-hidden';
      who.textContent = item.who === 'user' ? 'You said: ' : 'Reply: ';
      li.appendChild(who);
      li.appendChild(document.createTextNode(item.text));

      if (item.status === 'failed') {
        var status = document.createElement('span');
        status.className = 'msg__status';
        status.textContent = 'Not sent';
        li.appendChild(status);
      }
      nodes.push(li);

      var current = index > latestUser;
      if (current && item.retry && !item.retry.used) {
        nodes.push(choiceGroup([{ title: 'Try again', retry: true }], item));
      } else if (current && Array.isArray(item.buttons) && item.buttons.length && !item.used) {
        nodes.push(choiceGroup(item.buttons, item));
      }
    });
    transcript.replaceChildren.apply(transcript, nodes);
  }

  function choiceGroup(buttons, item) {
    var li = document.createElement('li');
    li.className = 'choices';
    buttons.forEach(function (choice) {
      if (!choice || typeof choice.title !== 'string') { return; }
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'button button--secondary';
      button.textContent = choice.title;
      button.disabled = busy;
      button.addEventListener('click', function () {
        if (busy) { return; }
        if (choice.retry) {
          retry(item);
        } else {
          item.used = true;
          send(String(choice.payload || choice.title), choice.title, false);
        }
        input.focus();
      });
      li.appendChild(button);
    });
    return li;
  }

  function scrollToEnd() {
    var last = transcript.lastElementChild;
    if (last) { last.scrollIntoView({ block: 'nearest' }); }
  }

  function announce(texts) {
    announcer.textContent = '';
    window.setTimeout(function () { announcer.textContent = texts.join(' '); }, 100);
  }

  /* ---------- sending ---------- */

  function post(message) {
    return fetch('/webhooks/rest/webhook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: state.sender, message: message }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      if (response.ok) { return response.json(); }
      var error = new Error('HTTP ' + response.status);
      error.rejected = response.status >= 400 && response.status < 500;
      throw error;
    });
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    var buttons = transcript.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = value; }
  }

  /* payload: what the bot gets; shown: the user's bubble (null: none); typed: came from the box */
  function send(payload, shown, typed) {
    if (busy || exiting) { return; }
    state.items.forEach(function (item) { if (item.retry) { item.retry.used = true; } });
    var userItem = null;
    if (shown !== null) {
      userItem = { who: 'user', text: shown, status: 'sending' };
      state.items.push(userItem);
    }
    var attempt = { payload: payload, shown: shown, typed: typed };
    saveState();
    render();
    scrollToEnd();
    setBusy(true);
    post(payload).then(function (replies) {
      setBusy(false);
      received(Array.isArray(replies) ? replies : [], attempt, userItem);
    }, function (error) {
      setBusy(false);
      failed(attempt, userItem, Boolean(error && error.rejected));
    });
  }

  function kindOf(reply) {
    return reply && reply.custom && typeof reply.custom.quietdoor === 'string' ?
      reply.custom.quietdoor : '';
  }

  function received(replies, attempt, userItem) {
    if (replies.some(function (r) { return kindOf(r) === 'exit'; })) {
      quickExit();
      return;
    }
    var notTaken = replies.some(function (r) { return kindOf(r) === 'unavailable'; });
    var texts = [];
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== 'string' || !reply.text) { return; }
      var kind = kindOf(reply);
      var item = { who: 'bot', text: reply.text };
      if (kind === 'emergency') { item.kind = 'emergency'; }
      if (kind === 'unavailable') { item.kind = 'problem'; item.retry = attempt; }
      if (Array.isArray(reply.buttons)) {
        item.buttons = reply.buttons.map(function (b) {
          return { title: String(b.title || ''), payload: String(b.payload || b.title || '') };
        }).filter(function (b) { return b.title; });
      }
      state.items.push(item);
      texts.push(reply.text);
    });
    if (userItem) { userItem.status = notTaken ? 'failed' : 'sent'; }
    if (notTaken) { keepUnsent(attempt); }
    saveState();
    render();
    scrollToEnd();
    announce(texts);
  }

  function failed(attempt, userItem, rejected) {
    if (userItem) { userItem.status = 'failed'; }
    var texts = [rejected ? REJECTED_TEXT : OFFLINE_TEXT];
    state.items.push({ who: 'bot', kind: 'problem', text: texts[0], retry: rejected ? null : attempt });
    if (!rejected) {
      var help = offlineHelp.content.textContent.trim();
      state.items.push({ who: 'bot', kind: 'emergency', text: help });
      texts.push(help);
    }
    keepUnsent(attempt);
    saveState();
    render();
    scrollToEnd();
    announce(texts);
  }

  /* Nothing typed is lost: the unsent text goes back into the box if the box is empty. */
  function keepUnsent(attempt) {
    if (attempt.typed && !input.value) { input.value = attempt.payload; }
  }

  function retry(item) {
    var attempt = item.retry;
    attempt.used = true;
    if (attempt.typed && input.value === attempt.payload) { input.value = ''; }
    for (var i = state.items.length - 1; i >= 0; i--) {
      if (state.items[i].who === 'user') {
        if (state.items[i].status === 'failed') { state.items.splice(i, 1); }
        break;
      }
    }
    send(attempt.payload, attempt.shown, attempt.typed);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) { return; }
    input.value = '';
    send(text, text, true);
  });

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.altKey &&
        !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  /* ---------- start ---------- */

  var shown = document.querySelectorAll('.js-only');
  for (var j = 0; j < shown.length; j++) { shown[j].hidden = false; }

  state.items.forEach(function (item) {
    if (item.who === 'user' && item.status === 'sending') {
      item.status = 'failed';
      if (!input.value) { input.value = item.text; }
    }
  });
  saveState();
  render();
  scrollToEnd();
  if (!state.items.length) { send('/greet', null, false); }
}());
