/*
 * <lockstep-lesson>: a Lockstep lesson at a step, for any page (a blog post,
 * a course page, a slide deck). Plain JavaScript, no build step.
 *
 *   <script src="https://your.host/lockstep/lockstep-lesson.js"></script>
 *   <lockstep-lesson lesson="locks/gc-pause-past-the-ttl"
 *                    at="client-1 pause"></lockstep-lesson>
 *
 * Attributes:
 *   lesson  the lesson's id (track/name), required;
 *   step    the step to open at (a number), or
 *   at      the first event a lesson selector matches ("client-2 enter");
 *   height  the frame's height in CSS pixels (default 540);
 *   player  where Lockstep is hosted (default: the folder this script was
 *           loaded from), e.g. "https://your.host/lockstep/".
 *
 * It frames the player in embed mode, trusting this page's origin, and
 * speaks the embed API (web/EMBED.md): methods go(), next(), previous(),
 * play(), pause(), reset(), whatIf(), load() send commands (held until the
 * player is ready), `state` is the latest announced state, and the element
 * fires `lockstep-state` and `lockstep-error` events (detail: the message).
 */
(function () {
  'use strict';

  if (customElements.get('lockstep-lesson')) return;

  var VERSION = 1;
  // The folder this script came from: where Lockstep's index.html is.
  var SCRIPT_BASE = (function () {
    var script = document.currentScript;
    try {
      return new URL('./', script ? script.src : location.href).href;
    } catch (e) {
      return location.href;
    }
  })();
  var HELLO_EVERY_MS = 400;
  var HELLO_FOR_MS = 30000;

  class LockstepLesson extends HTMLElement {
    static get observedAttributes() {
      return ['lesson', 'step', 'at'];
    }

    constructor() {
      super();
      this._state = null;
      this._queue = [];
      this._sent = 0;
      this._frame = null;
      this._hello = null;
      this._onMessage = this._onMessage.bind(this);
      var root = this.attachShadow({ mode: 'open' });
      root.innerHTML =
        '<style>:host{display:block;position:relative}' +
        'iframe{display:block;width:100%;height:100%;border:0;border-radius:8px;' +
        'background:#fff;box-shadow:0 0 0 1px rgba(0,0,0,.12)}</style>';
    }

    connectedCallback() {
      window.addEventListener('message', this._onMessage);
      // A frame that already exists is kept: moving the element would
      // reload it, losing the player's state, so it is never rebuilt.
      if (!this._frame) this._build();
    }

    disconnectedCallback() {
      window.removeEventListener('message', this._onMessage);
      clearInterval(this._hello);
    }

    attributeChangedCallback(name, before, after) {
      if (!this._frame || before === after) return;
      if (name === 'lesson' && after) this.load({ lesson: after, step: this._number('step') });
      if (name === 'step' && after !== null) this.go(Number(after));
      if (name === 'at' && after) this.go({ at: after });
    }

    /** The latest state the player announced (null until it is ready). */
    get state() {
      return this._state;
    }

    /** The player has its run and has taken every command sent so far. */
    get ready() {
      var s = this._state;
      return !!s && s.step !== null && !s.running && s.received >= this._sent;
    }

    /** The framed page (for tests and for pages that want the frame itself). */
    get frame() {
      return this._frame;
    }

    /** go(12), go({ at: "client-2 enter" }) or go({ note: 2 }). */
    go(target) {
      if (typeof target === 'number') target = { step: target };
      this.send('go', target);
    }
    next() { this.send('next'); }
    previous() { this.send('previous'); }
    play(intervalMs) { this.send('play', intervalMs ? { intervalMs: intervalMs } : {}); }
    pause() { this.send('pause'); }
    reset() { this.send('reset'); }
    /** whatIf({ followUp: 0 }) or whatIf({ change: { "fault[0].duration_ms": 900 } }). */
    whatIf(variation) { this.send('whatIf', variation); }
    /** load({ lesson: "locks/redlock", step: 3 }) or load({ story: "clock_jump" }). */
    load(what) {
      this.send('load', what);
    }

    /** Sends a command once the player is ready (in order). */
    send(command, args) {
      this._queue.push(Object.assign({ command: command }, args || {}));
      this._flush();
    }

    // --- inside ----------------------------------------------------------

    _number(name) {
      var value = this.getAttribute(name);
      return value === null || value === '' || isNaN(Number(value)) ? undefined : Number(value);
    }

    _playerUrl() {
      return new URL(this.getAttribute('player') || SCRIPT_BASE, location.href);
    }

    _build() {
      var lesson = this.getAttribute('lesson') || '';
      var url = this._playerUrl();
      var query = [];
      var step = this._number('step');
      if (step !== undefined) query.push('step=' + step);
      query.push('embed=1');
      // The player obeys this page only when told to trust its origin
      // (a page opened as a file has none: serve the deck over http).
      if (location.origin && location.origin !== 'null') {
        query.push('origin=' + encodeURIComponent(location.origin));
      }
      url.hash = '/lesson/' + lesson + '?' + query.join('&');
      this._lesson = lesson;
      this._origin = url.origin;
      var frame = document.createElement('iframe');
      frame.title = 'Lockstep lesson: ' + lesson;
      frame.setAttribute('loading', 'eager');
      frame.src = url.href;
      this.style.height = (this._number('height') || 540) + 'px';
      this.shadowRoot.appendChild(frame);
      this._frame = frame;
      var at = this.getAttribute('at');
      if (at && step === undefined) this.go({ at: at });
      this._startHello();
    }

    // Until the player answers, ask it for its state now and then: it
    // starts listening only once its WebAssembly has loaded.
    _startHello() {
      clearInterval(this._hello);
      var started = Date.now();
      var self = this;
      this._hello = setInterval(function () {
        if (self._state || Date.now() - started > HELLO_FOR_MS) {
          clearInterval(self._hello);
          return;
        }
        self._post({ command: 'hello' }, true);
      }, HELLO_EVERY_MS);
    }

    _post(message, uncounted) {
      if (!this._frame || !this._frame.contentWindow) return;
      message.lockstep = VERSION;
      if (!uncounted) this._sent += 1;
      this._frame.contentWindow.postMessage(message, this._origin);
    }

    _flush() {
      while (this._queue.length && this.ready) {
        var message = this._queue.shift();
        this._post(message);
        if (message.command === 'load' && message.lesson) {
          // Another lesson is another page in the frame: it counts anew,
          // and announcements of the page it replaces are not its own.
          this._lesson = message.lesson;
          this._state = null;
          this._sent = 0;
          this._startHello();
        }
      }
    }

    _onMessage(event) {
      if (!this._frame || event.source !== this._frame.contentWindow) return;
      if (event.origin !== this._origin) return;
      var data = event.data;
      if (!data || data.lockstep !== VERSION) return;
      if (data.type === 'state') {
        if (this._lesson && data.lesson !== this._lesson) return;
        this._state = data;
        this.dispatchEvent(new CustomEvent('lockstep-state', { detail: data }));
        this._flush();
      } else if (data.type === 'error') {
        this.dispatchEvent(new CustomEvent('lockstep-error', { detail: data }));
      }
    }
  }

  customElements.define('lockstep-lesson', LockstepLesson);
})();
