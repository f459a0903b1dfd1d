/* Quiet Door web chat.
 *
 * Talks to the gateway's POST /webhooks/rest/webhook. Keeps the tab's chat (sender id and
 * transcript) in sessionStorage only: no cookies, no localStorage. Quick exit (button, skip link,
 * Shift pressed 3 times within 5 seconds, or a reply marked "exit") blanks the page, clears the
 * storage and the transcript, asks the server to delete the conversation, and replaces this page
 * in the history with the exit address, so Back does not return here.
 *
 * "Check on a report": an anonymous reporter's follow-up code is kept in a variable of this
 * script only (never in storage, a cookie or an address) and sent in the body of each request to
 * POST /chat/follow-up and /chat/follow-up/messages. Quick exit, leaving the page and "Close and
 * forget the code" all forget it, with the messages shown.
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

  var EXIT_PHRASES = ['exit', 'quick exit', 'quickexit', 'exit now', 'exit chat',
    'exit this page', 'exit page'];
  var FOLLOW_UP_OFFLINE = 'Sorry, that could not be sent. Check your connection and try again.';
  var FOLLOW_UP_UNAVAILABLE = 'Checking on a report is not working at the moment. ' +
    'Please try again later.';
  var FOLLOW_UP_WRONG = 'That code did not work. Check it and try again.';
  var followUp = {
    details: document.getElementById('follow-up'),
    toggle: document.querySelector('#follow-up summary'),
    codeForm: document.getElementById('follow-up-form'),
    code: document.getElementById('follow-up-code'),
    codeHint: 'follow-up-code-hint',
    report: document.getElementById('follow-up-case'),
    heading: document.getElementById('follow-up-heading'),
    reference: document.getElementById('follow-up-reference'),
    status: document.getElementById('follow-up-status'),
    none: document.getElementById('follow-up-none'),
    messages: document.getElementById('follow-up-messages'),
    emergency: document.getElementById('follow-up-emergency'),
    replyForm: document.getElementById('follow-up-reply'),
    reply: document.getElementById('follow-up-message'),
    refresh: document.getElementById('follow-up-refresh'),
    close: document.getElementById('follow-up-close'),
    error: document.getElementById('follow-up-error')
  };
  /* The code, in memory only; null when none is in use. */
  var followUpCode = null;
  var followUpBusy = false;

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
    forgetFollowUp();
    followUp.details.open = false;
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

  /* ---------- follow-up with a code ---------- */

  /* The same words as the gateway's quick exit (channels/safety.py is_exit); the gateway checks
   * them too and answers {"exit": true}. */
  function isExitWords(text) {
    var words = text.replace(/[\u2018\u2019]/g, "'").toLowerCase().split(/\s+/).join(' ')
      .replace(/^\/+/, '').replace(/^[ .!?]+|[ .!?]+$/g, '').replace(/[_-]/g, ' ');
    return EXIT_PHRASES.indexOf(words.split(/\s+/).filter(Boolean).join(' ')) !== -1;
  }

  function followUpPost(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      return response.json().then(function (data) {
        return { status: response.status, data: data };
      }, function () {
        return { status: response.status, data: null };
      });
    });
  }

  function problemText(result, rejectedText) {
    var detail = result.data && typeof result.data.detail === 'string' ? result.data.detail : '';
    if (result.status === 404) { return FOLLOW_UP_WRONG; }
    if (result.status === 429 && detail) { return detail; }
    if (result.status >= 400 && result.status < 500) { return rejectedText; }
    return FOLLOW_UP_UNAVAILABLE;
  }

  function showFollowUpError(text, field) {
    followUp.error.textContent = '';
    followUp.code.removeAttribute('aria-invalid');
    followUp.reply.removeAttribute('aria-invalid');
    followUp.code.setAttribute('aria-describedby', followUp.codeHint);
    followUp.reply.setAttribute('aria-describedby', 'follow-up-message-hint');
    if (!text) { return; }
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby',
        field.getAttribute('aria-describedby') + ' follow-up-error');
    }
    /* Cleared first, then filled, so the same message is announced again. */
    window.setTimeout(function () {
      if (!exiting) { followUp.error.textContent = text; }
    }, 50);
  }

  function setFollowUpBusy(value) {
    followUpBusy = value;
    var buttons = followUp.details.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = value; }
  }

  function timeText(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return ''; }
    return when.toLocaleString('en-GB', {
      day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'
    });
  }

  function renderFollowUpMessages(messages) {
    var nodes = messages.map(function (message) {
      var mine = message.from === 'you';
      var li = document.createElement('li');
      li.className = 'msg follow-up__msg ' + (mine ? 'msg--user' : 'msg--bot');
      var meta = document.createElement('span');
      meta.className = 'msg__meta';
      meta.appendChild(document.createTextNode(mine ? 'You, ' : 'The team, '));
      var time = document.createElement('time');
      time.setAttribute('datetime', String(message.at));
      time.textContent = timeText(message.at);
      meta.appendChild(time);
      li.appendChild(meta);
      li.appendChild(document.createTextNode(String(message.text)));
      return li;
    });
    followUp.messages.replaceChildren.apply(followUp.messages, nodes);
    followUp.none.hidden = nodes.length > 0;
  }

  function showReport(data) {
    followUp.reference.textContent = 'Report ' + String(data.reference || '');
    var status = String(data.status || '');
    if (followUp.status.textContent !== status) {
      /* Filled once the region is shown, so screen readers announce the change. */
      window.setTimeout(function () {
        if (followUpCode !== null && !exiting) { followUp.status.textContent = status; }
      }, 50);
    }
    renderFollowUpMessages(Array.isArray(data.messages) ? data.messages : []);
    if (typeof data.emergency === 'string' && data.emergency) {
      followUp.emergency.textContent = data.emergency;
      followUp.emergency.hidden = false;
    }
    followUp.codeForm.hidden = true;
    followUp.report.hidden = false;
  }

  function forgetFollowUp() {
    followUpCode = null;
    followUp.code.value = '';
    followUp.reply.value = '';
    followUp.messages.replaceChildren();
    followUp.reference.textContent = '';
    followUp.status.textContent = '';
    followUp.emergency.textContent = '';
    followUp.emergency.hidden = true;
    followUp.none.hidden = false;
    followUp.report.hidden = true;
    followUp.codeForm.hidden = false;
    showFollowUpError('');
  }

  /* A code that stopped working (expired while the page was open): back to the code box. */
  function codeNoLongerWorks(text) {
    forgetFollowUp();
    showFollowUpError(text, followUp.code);
    followUp.code.focus();
  }

  function lookUp(code, afterwards) {
    if (followUpBusy || exiting) { return; }
    setFollowUpBusy(true);
    showFollowUpError('');
    followUpPost('/chat/follow-up', { code: code }).then(function (result) {
      setFollowUpBusy(false);
      if (exiting) { return; }
      if (result.data && result.data.exit === true) { quickExit(); return; }
      if (result.status === 200 && result.data) {
        followUpCode = code;
        followUp.code.value = '';
        showReport(result.data);
        afterwards();
        return;
      }
      if (followUpCode !== null && result.status === 404) {
        codeNoLongerWorks(problemText(result, FOLLOW_UP_WRONG));
        return;
      }
      showFollowUpError(problemText(result, FOLLOW_UP_WRONG),
        followUpCode === null ? followUp.code : null);
    }, function () {
      setFollowUpBusy(false);
      showFollowUpError(FOLLOW_UP_OFFLINE, followUpCode === null ? followUp.code : null);
    });
  }

  followUp.codeForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var code = followUp.code.value.trim();
    if (isExitWords(code)) { quickExit(); return; }
    if (!code) {
      showFollowUpError('Enter your follow-up code.', followUp.code);
      return;
    }
    lookUp(code, function () { followUp.heading.focus(); });
  });

  followUp.refresh.addEventListener('click', function () {
    if (followUpCode === null) { return; }
    lookUp(followUpCode, function () { announce(['Checked for replies.']); });
  });

  followUp.close.addEventListener('click', function () {
    forgetFollowUp();
    followUp.details.open = false;
    followUp.toggle.focus();
  });

  followUp.replyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = followUp.reply.value;
    if (isExitWords(text)) { quickExit(); return; }
    if (!text.trim() || followUpBusy || followUpCode === null) { return; }
    setFollowUpBusy(true);
    showFollowUpError('');
    followUpPost('/chat/follow-up/messages', { code: followUpCode, message: text })
      .then(function (result) {
        setFollowUpBusy(false);
        if (exiting) { return; }
        if (result.data && result.data.exit === true) { quickExit(); return; }
        if (result.status === 200 && result.data) {
          if (followUp.reply.value === text) { followUp.reply.value = ''; }
          showReport(result.data);
          announce(['Message sent.']);
          return;
        }
        if (result.status === 404) {
          codeNoLongerWorks(problemText(result, FOLLOW_UP_WRONG));
          return;
        }
        showFollowUpError(problemText(result, REJECTED_TEXT), followUp.reply);
      }, function () {
        setFollowUpBusy(false);
        showFollowUpError(FOLLOW_UP_OFFLINE, followUp.reply);
      });
  });

  followUp.reply.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.altKey &&
        !event.isComposing) {
      event.preventDefault();
      followUp.replyForm.requestSubmit();
    }
  });

  /* Leaving the page in any way forgets the code, so Back (or the back-forward cache) never
   * shows the report again. */
  window.addEventListener('pagehide', forgetFollowUp);

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
