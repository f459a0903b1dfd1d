/* Quiet Door quick exit: loaded first on every page, and dependent on nothing else.
 *
 * A fault in the chat script cannot stop it: the Exit button, the skip link and Shift pressed
 * 3 times within 5 seconds (announced to screen readers) are wired up here, before chat.js runs.
 * Leaving blanks the page, asks the server to delete the conversation (sendBeacon), closes the
 * privacy page if it was opened from here (or this page's opener, if that is the chat), and
 * replaces this page in the history with the exit address, so Back does not return here.
 *
 * For the chat script, on window.QuietDoorExit:
 *   exit()              leave now, exactly as the Exit button does
 *   setSender(id)       the conversation to delete when leaving (the chat's current sender id)
 *   onExit(callback)    run while leaving, e.g. to clear the transcript; a failing one is skipped
 *   forgetOnServer(id)  delete a conversation on the server, as leaving does
 */
(function () {
  'use strict';

  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 5000;
  var ANNOUNCE = {
    two: 'Shift, press 2 more times to exit.',
    one: 'Shift, press 1 more time to exit.',
    expired: 'Exit this page expired.',
    activated: 'Loading.'
  };

  var exitUrl = document.body.getAttribute('data-exit-url');
  var overlay = document.getElementById('exit-overlay');
  var exitStatus = document.getElementById('exit-status');
  var dots = document.querySelectorAll('.exit__dot');

  var exiting = false;
  var sender = null;
  var callbacks = [];
  var openedTabs = [];

  /* Earlier versions of the chat kept the transcript in this tab's session storage. */
  try { window.sessionStorage.removeItem('quietdoor-chat'); } catch (e) { /* none kept */ }

  function forgetOnServer(id) {
    var body = JSON.stringify({ sender: id });
    var queued = false;
    try {
      queued = navigator.sendBeacon('/chat/exit', new Blob([body], { type: 'application/json' }));
    } catch (e) { queued = false; }
    if (!queued) {
      try {
        fetch('/chat/exit', {
          method: 'POST', keepalive: true, body: body, credentials: 'omit',
          headers: { 'Content-Type': 'application/json' }
        });
      } catch (e) { /* the conversation still expires on its own */ }
    }
  }

  /* The privacy page opened from the chat, and the chat that opened the privacy page. */
  function closeRelatedTabs() {
    openedTabs.forEach(function (tab) {
      try { tab.close(); } catch (e) { /* already closed */ }
    });
    try {
      var opener = window.opener;
      if (opener && !opener.closed && opener.QuietDoorExit) { opener.QuietDoorExit.exit(); }
    } catch (e) { /* another site's window: not ours to touch */ }
  }

  function exit(event) {
    if (event) { event.preventDefault(); }
    if (exiting) { return; }
    exiting = true;
    try {
      overlay.hidden = false;
      exitStatus.textContent = ANNOUNCE.activated;
      if (sender) { forgetOnServer(sender); }
      callbacks.forEach(function (callback) {
        try { callback(); } catch (e) { /* the page still leaves */ }
      });
      closeRelatedTabs();
    } finally {
      window.location.replace(exitUrl);
    }
  }

  /* ---------- Shift pressed 3 times ---------- */

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
      exit();
      return;
    }
    if (shiftCount === 1) {
      shiftTimer = window.setTimeout(function () { resetShift(true); }, SHIFT_WINDOW_MS);
    }
    exitStatus.textContent = SHIFT_PRESSES - shiftCount === 2 ? ANNOUNCE.two : ANNOUNCE.one;
  });

  /* ---------- the Exit button, the skip link, and links whose tab exit closes ---------- */

  function onEach(selector, type, listener) {
    var found = document.querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) { found[i].addEventListener(type, listener); }
  }

  onEach('[data-quick-exit]', 'click', exit);
  /* The exit link says role="button", so Space works on it as on any button. */
  onEach('[data-quick-exit]', 'keydown', function (event) {
    if (event.key === ' ') { exit(event); }
  });

  /* Opened by script, so that leaving can close it again; a modified click does what it asks. */
  onEach('a[data-exit-closes]', 'click', function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var tab = window.open(event.currentTarget.href, '_blank');
    if (tab) {
      openedTabs.push(tab);
      event.preventDefault();
    }
  });

  var shown = document.querySelectorAll('.js-exit');
  for (var j = 0; j < shown.length; j++) { shown[j].hidden = false; }

  window.QuietDoorExit = Object.freeze({
    exit: function () { exit(); },
    setSender: function (id) { sender = id; },
    onExit: function (callback) { callbacks.push(callback); },
    forgetOnServer: forgetOnServer
  });
}());
