/*
 * LockstepReveal: a reveal.js plugin that drives the <lockstep-lesson>
 * players on a slide from the slide's fragments. Plain JavaScript, no build
 * step; needs lockstep-lesson.js on the page first.
 *
 *   <section>
 *     <lockstep-lesson lesson="locks/gc-pause-past-the-ttl" step="0"></lockstep-lesson>
 *     <p class="fragment" data-lockstep-at="client-1 pause">The GC pause</p>
 *     <p class="fragment" data-lockstep-step="40">Step 40</p>
 *     <p class="fragment" data-lockstep-note="3">The lesson's third note</p>
 *   </section>
 *   Reveal.initialize({ plugins: [LockstepReveal] });
 *
 * The latest fragment shown that names a step (data-lockstep-step, -at or
 * -note) decides where the slide's players are; with none shown they go
 * back to where the element's own step/at attribute says. A fragment may
 * also carry data-lockstep-command ("play", "pause", "reset", or a JSON
 * command such as {"command":"whatIf","followUp":0}), sent when it is shown.
 *
 * State survives leaving the slide: the player's frame is never reloaded
 * (reveal.js only unloads frames it lazy-loads, and this one lives in the
 * element's shadow root) and autoplay is paused on the way out. On the way
 * back the player stays where it was (a step taken inside it by hand
 * included) unless the fragments now shown name another place.
 */
(function (global) {
  'use strict';

  var TARGETS = '[data-lockstep-step],[data-lockstep-at],[data-lockstep-note]';

  function targetOf(element) {
    var step = element.getAttribute('data-lockstep-step');
    if (step !== null && step !== '') return { step: Number(step) };
    var at = element.getAttribute('data-lockstep-at');
    if (at) return { at: at };
    var note = element.getAttribute('data-lockstep-note');
    if (note) return { note: Number(note) };
    return null;
  }

  /** Where a player starts on its slide: its own step or at attribute. */
  function homeOf(player) {
    var step = player.getAttribute('step');
    if (step !== null && step !== '' && !isNaN(Number(step))) return { step: Number(step) };
    var at = player.getAttribute('at');
    if (at) return { at: at };
    return { step: 0 };
  }

  /** The fragments shown on a slide, in reveal.js's order. */
  function shownFragments(slide) {
    var shown = Array.prototype.slice.call(slide.querySelectorAll('.fragment.visible'));
    shown.sort(function (a, b) {
      return Number(a.getAttribute('data-fragment-index') || 0) -
        Number(b.getAttribute('data-fragment-index') || 0);
    });
    return shown;
  }

  function sameTarget(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function commandOf(element) {
    var text = element.getAttribute('data-lockstep-command');
    if (!text) return null;
    text = text.trim();
    if (text.charAt(0) === '{') {
      try {
        return JSON.parse(text);
      } catch (e) {
        console.warn('lockstep-reveal: data-lockstep-command is not JSON: ' + text);
        return null;
      }
    }
    return { command: text };
  }

  /** Puts a slide's players where its fragments say. */
  function sync(slide) {
    if (!slide) return;
    var players = slide.querySelectorAll('lockstep-lesson');
    if (!players.length) return;
    var shown = shownFragments(slide).filter(function (f) { return f.matches(TARGETS); });
    var latest = shown.length ? shown[shown.length - 1] : null;
    Array.prototype.forEach.call(players, function (player) {
      var target = latest ? targetOf(latest) : homeOf(player);
      // Resending the same place would undo a step the audience took
      // inside the player by hand since.
      if (player._lockstepTarget && sameTarget(player._lockstepTarget, target)) return;
      player._lockstepTarget = target;
      player.go(target);
    });
  }

  function sendCommand(slide, fragment) {
    var command = commandOf(fragment);
    if (!command) return;
    Array.prototype.forEach.call(slide.querySelectorAll('lockstep-lesson'), function (player) {
      var name = command.command;
      var args = Object.assign({}, command);
      delete args.command;
      player.send(name, args);
    });
  }

  function leave(slide) {
    if (!slide) return;
    Array.prototype.forEach.call(slide.querySelectorAll('lockstep-lesson'), function (player) {
      if (player.state && player.state.playing) player.pause();
    });
  }

  /**
   * A fragment the player cannot follow (a selector that matches no event,
   * a step past the end, a field the scenario lacks) changes nothing on the
   * slide: say which and why in the console, where a rehearsal finds it.
   */
  function reportRefusals(deck) {
    var players = deck.getRevealElement().querySelectorAll('lockstep-lesson');
    Array.prototype.forEach.call(players, function (player) {
      player.addEventListener('lockstep-error', function (event) {
        console.warn('lockstep-reveal: the player of "' + player.getAttribute('lesson') +
          '" refused a fragment\'s command: ' + event.detail.message);
      });
    });
  }

  var LockstepReveal = {
    id: 'lockstep',
    init: function (deck) {
      reportRefusals(deck);
      deck.on('ready', function (event) {
        sync(event.currentSlide);
      });
      deck.on('slidechanged', function (event) {
        leave(event.previousSlide);
        sync(event.currentSlide);
      });
      deck.on('fragmentshown', function (event) {
        var slide = deck.getCurrentSlide();
        (event.fragments || [event.fragment]).forEach(function (f) { sendCommand(slide, f); });
        sync(slide);
      });
      deck.on('fragmenthidden', function () {
        sync(deck.getCurrentSlide());
      });
    },
  };

  global.LockstepReveal = LockstepReveal;
})(typeof window !== 'undefined' ? window : this);
