/* Quiet Door web chat.
 *
 * Talks to the gateway's POST /webhooks/rest/webhook. The chat (sender id and transcript) lives
 * in this script's memory only: no storage, no cookies. Reloading, closing or leaving the page in
 * any way forgets it and asks the server to delete the conversation, so a restored tab shows a
 * fresh chat. After data-idle-seconds without a key press, click or reply, a warning comes a
 * minute ahead, then the screen is cleared, the server copy deleted and a new chat begun.
 *
 * Quick exit is exit.js (loaded first, on its own, window.QuietDoorExit): this script tells it the
 * current sender id, asks it to clear the chat when leaving, and calls it for a typed "exit" or
 * a reply marked "exit".
 *
 * Replies that come late: the gateway answers danger (and quick exit) at once and an ordinary
 * message after a few seconds at most, before Rasa has replied; such an answer is marked
 * custom.pending, and this script then asks POST /chat/pending for Rasa's replies every second
 * for a minute, placing them where they belong (before anything said since). The next answer
 * carries any not yet collected; the server gives each once.
 *
 * "Check on a report": an anonymous reporter's follow-up code is kept in a variable of this
 * script only (never in storage, a cookie or an address) and sent in the body of each request to
 * POST /chat/follow-up and /chat/follow-up/messages. Quick exit, leaving the page and "Close and
 * forget the code" all forget it, with the messages shown.
 */
(function () {
  'use strict';

  var quickExit = window.QuietDoorExit;
  var OFFLINE_TEXT = 'Sorry, your message could not be sent. Check your connection. ' +
    'What you typed is still in the message box, so you can press Try again.';
  var REJECTED_TEXT = 'Sorry, that message could not be sent. You can change it and send it again.';
  /* The gateway's own words for a message over a rate limit come in its 429; this if they don't. */
  var LIMITED_TEXT = "You're sending messages faster than we can read them; wait a few seconds " +
    'and send it again. In an emergency call 999.';

  var IDLE_WARNING_MS = 60000;
  var IDLE_CHECK_MS = 5000;
  var IDLE_WARNING_TEXT = 'This chat will clear in 1 minute to keep it private. ' +
    'Press any key or tap anywhere to keep it.';
  var IDLE_CLEARED_TEXT = 'The chat was cleared to keep it private.';
  var LATE_POLL_MS = 1000;
  var LATE_POLLS = 60;

  var transcript = document.getElementById('transcript');
  var announcer = document.getElementById('announcer');
  var typing = document.getElementById('typing');
  var form = document.getElementById('composer');
  var input = document.getElementById('message');
  var offlineHelp = document.getElementById('offline-help');
  var idleWarning = document.getElementById('idle-warning');
  var idleMs = Number(document.body.getAttribute('data-idle-seconds')) * 1000;

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
  /* The code, in memory only; null when none is in use. Each forgetting starts a new round, so
   * an answer to a request made before it is dropped. */
  var followUpCode = null;
  var followUpBusy = false;
  var followUpRound = 0;

  var exiting = false;
  var busy = false;
  /* The conversation: replaced, never emptied in place, so a reply to an old one is dropped. */
  var state = null;
  var lastActivity = Date.now();
  var idleWarned = false;
  var pendingNotice = '';
  /* Collecting late replies: the conversation asked for and the polls left; null when not. */
  var late = null;

  /* ---------- one conversation, in memory only ---------- */

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

  /* A new sender id and the greeting; `notice` is said to screen readers before the greeting. */
  function newConversation(notice) {
    state = { sender: newSender(), items: [] };
    quickExit.setSender(state.sender);
    setBusy(false);
    render();
    pendingNotice = notice;
    send('/greet', null, false);
  }

  /* Clears everything the person said or typed from the screen and from memory. */
  function clearScreen() {
    state = { sender: state.sender, items: [] };
    transcript.replaceChildren();
    input.value = '';
    forgetFollowUp();
    followUp.details.open = false;
    hideIdleWarning();
  }

  /* ---------- clearing after a few idle minutes ---------- */

  function somethingToForget() {
    return state.items.some(function (item) { return item.who === 'user'; }) ||
      Boolean(input.value || followUp.code.value || followUp.reply.value) ||
      followUpCode !== null;
  }

  function hideIdleWarning() {
    idleWarned = false;
    idleWarning.textContent = '';
  }

  function stillHere() {
    lastActivity = Date.now();
    if (idleWarned) { hideIdleWarning(); }
  }

  /* Measured against the wall clock, so a device woken from sleep clears at once. Waiting for
   * a reply is not idleness, and a chat with nothing of the person's in it has nothing to clear. */
  function checkIdle() {
    if (exiting) { return; }
    if (busy || followUpBusy || !somethingToForget()) {
      stillHere();
      return;
    }
    var idle = Date.now() - lastActivity;
    if (idle >= idleMs) {
      quickExit.forgetOnServer(state.sender);
      clearScreen();
      newConversation(IDLE_CLEARED_TEXT);
    } else if (idle >= idleMs - IDLE_WARNING_MS && !idleWarned) {
      idleWarned = true;
      idleWarning.textContent = IDLE_WARNING_TEXT;
    }
  }

  ['keydown', 'pointerdown', 'input'].forEach(function (type) {
    document.addEventListener(type, stillHere, true);
  });
  window.setInterval(checkIdle, IDLE_CHECK_MS);
  document.addEventListener('visibilitychange', checkIdle);
  window.addEventListener('focus', checkIdle);

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
    var said = pendingNotice ? [pendingNotice].concat(texts) : texts;
    pendingNotice = '';
    announcer.textContent = '';
    window.setTimeout(function () { announcer.textContent = said.join(' '); }, 100);
  }

  /* ---------- sending ---------- */

  function post(sender, message) {
    return fetch('/webhooks/rest/webhook', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: sender, message: message }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      if (response.ok) { return response.json(); }
      var error = new Error('HTTP ' + response.status);
      error.rejected = response.status >= 400 && response.status < 500;
      if (response.status !== 429) { throw error; }
      error.limited = true;
      return response.json().then(function (data) {
        error.detail = data && typeof data.detail === 'string' ? data.detail : '';
        throw error;
      }, function () { throw error; });
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
    var conversation = state;
    render();
    scrollToEnd();
    setBusy(true);
    post(conversation.sender, payload).then(function (replies) {
      if (state !== conversation || exiting) { return; }
      setBusy(false);
      stillHere();
      received(Array.isArray(replies) ? replies : [], attempt, userItem);
    }, function (error) {
      if (state !== conversation || exiting) { return; }
      setBusy(false);
      stillHere();
      failed(attempt, userItem, error);
    });
  }

  function kindOf(reply) {
    return reply && reply.custom && typeof reply.custom.quietdoor === 'string' ?
      reply.custom.quietdoor : '';
  }

  /* The transcript items for replies with text; `attempt` (or null) is what Try again resends. */
  function replyItems(replies, attempt) {
    var items = [];
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
      items.push(item);
    });
    return items;
  }

  function textsOf(items) {
    return items.map(function (item) { return item.text; });
  }

  function received(replies, attempt, userItem) {
    if (replies.some(function (r) { return kindOf(r) === 'exit'; })) {
      quickExit.exit();
      return;
    }
    var notTaken = replies.some(function (r) { return kindOf(r) === 'unavailable'; });
    var items = replyItems(replies, attempt);
    Array.prototype.push.apply(state.items, items);
    if (userItem) { userItem.status = notTaken ? 'failed' : 'sent'; }
    if (notTaken) { keepUnsent(attempt); }
    render();
    scrollToEnd();
    announce(textsOf(items));
    if (replies.some(function (r) { return r && r.custom && r.custom.pending === true; })) {
      collectLate();
    }
  }

  /* ---------- replies that come late ---------- */

  /* Poll for a minute from now; a second call while polling only restarts the minute. */
  function collectLate() {
    if (late !== null && late.conversation === state) {
      late.left = LATE_POLLS;
      return;
    }
    late = { conversation: state, left: LATE_POLLS };
    nextPoll(late);
  }

  function nextPoll(run) {
    window.setTimeout(function () { pollLate(run); }, LATE_POLL_MS);
  }

  /* One poll; skipped while a message is being sent (its answer carries what is waiting).
   * Replies go where the poll began, so anything said since stays after them. */
  function pollLate(run) {
    if (late !== run) { return; }
    if (run.conversation !== state || exiting) { late = null; return; }
    if (busy) { nextPoll(run); return; }
    var at = run.conversation.items.length;
    run.left -= 1;
    lateRequest(run.conversation.sender).then(function (data) {
      if (late !== run || state !== run.conversation || exiting) { return; }
      var items = replyItems(Array.isArray(data.replies) ? data.replies : [], null);
      if (items.length) {
        Array.prototype.splice.apply(run.conversation.items, [at, 0].concat(items));
        render();
        scrollToEnd();
        announce(textsOf(items));
      }
      lateAgain(run, data.pending === true);
    }, function () {
      lateAgain(run, true);
    });
  }

  function lateAgain(run, more) {
    if (late !== run) { return; }
    if (more && run.left > 0 && run.conversation === state && !exiting) {
      nextPoll(run);
    } else {
      late = null;
    }
  }

  function lateRequest(sender) {
    return fetch('/chat/pending', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: sender }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    });
  }

  /* Refused as it is (4xx): change it; too fast (429) or offline: the same message, in a moment. */
  function failed(attempt, userItem, error) {
    var limited = Boolean(error && error.limited);
    var rejected = Boolean(error && error.rejected) && !limited;
    if (userItem) { userItem.status = 'failed'; }
    var problem = OFFLINE_TEXT;
    if (limited) { problem = error.detail || LIMITED_TEXT; }
    if (rejected) { problem = REJECTED_TEXT; }
    var texts = [problem];
    state.items.push({ who: 'bot', kind: 'problem', text: problem, retry: rejected ? null : attempt });
    if (!rejected) {
      var help = offlineHelp.content.textContent.trim();
      state.items.push({ who: 'bot', kind: 'emergency', text: help });
      texts.push(help);
    }
    keepUnsent(attempt);
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
    if (isExitWords(text)) { quickExit.exit(); return; }
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
    followUpRound += 1;
    setFollowUpBusy(false);
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

  /* One request to the team's side; an answer after leaving or forgetting the code is dropped. */
  function followUpRequest(path, body, answered, offline) {
    var round = followUpRound;
    setFollowUpBusy(true);
    showFollowUpError('');
    followUpPost(path, body).then(function (result) {
      if (round !== followUpRound || exiting) { return; }
      setFollowUpBusy(false);
      stillHere();
      if (result.data && result.data.exit === true) { quickExit.exit(); return; }
      answered(result);
    }, function () {
      if (round !== followUpRound || exiting) { return; }
      setFollowUpBusy(false);
      stillHere();
      offline();
    });
  }

  function lookUp(code, afterwards) {
    if (followUpBusy || exiting) { return; }
    followUpRequest('/chat/follow-up', { code: code }, function (result) {
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
      showFollowUpError(FOLLOW_UP_OFFLINE, followUpCode === null ? followUp.code : null);
    });
  }

  followUp.codeForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var code = followUp.code.value.trim();
    if (isExitWords(code)) { quickExit.exit(); return; }
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
    if (isExitWords(text)) { quickExit.exit(); return; }
    if (!text.trim() || followUpBusy || followUpCode === null) { return; }
    followUpRequest('/chat/follow-up/messages', { code: followUpCode, message: text },
      function (result) {
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

  /* ---------- leaving, and coming back ---------- */

  quickExit.onExit(function () {
    exiting = true;
    clearScreen();
  });

  /* Leaving the page in any way (reload, close, another address) forgets the chat and the code
   * and deletes the server copy, so Back, the back-forward cache or a restored tab never shows
   * them again. */
  window.addEventListener('pagehide', function () {
    if (exiting) { return; }
    quickExit.forgetOnServer(state.sender);
    clearScreen();
  });

  window.addEventListener('pageshow', function (event) {
    if (event.persisted && !exiting) { newConversation(''); }
  });

  /* ---------- start ---------- */

  var shown = document.querySelectorAll('.js-only');
  for (var j = 0; j < shown.length; j++) { shown[j].hidden = false; }

  newConversation('');
}());
