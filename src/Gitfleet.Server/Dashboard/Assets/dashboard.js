// Gitfleet dashboard: the stages page updates live from server-sent events; forms with data-confirm ask first.
// No framework and nothing fetched from elsewhere: the server sends every byte of the page.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource) {
    return;
  }

  var WIDTH = 600, HEIGHT = 120;
  var series = {};
  document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
    try { series[svg.getAttribute("data-chart")] = JSON.parse(svg.getAttribute("data-samples") || "[]"); }
    catch (e) { series[svg.getAttribute("data-chart")] = []; }
  });

  function cardOf(branch) {
    var cards = live.querySelectorAll(".card");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute("data-branch") === branch) { return cards[i]; }
    }
    return null;
  }

  function set(card, field, value) {
    var element = card.querySelector('[data-field="' + field + '"]');
    if (element && element.textContent !== String(value)) { element.textContent = String(value); }
  }

  function draw(branch) {
    var card = cardOf(branch);
    var svg = card && card.querySelector("svg[data-chart]");
    var samples = series[branch] || [];
    if (!svg || samples.length === 0) { return; }
    var first = samples[0].t, span = Math.max(1, samples[samples.length - 1].t - first), max = 1;
    samples.forEach(function (s) { max = Math.max(max, s.converged + s.inProgress + s.failed + s.waiting); });
    ["converged", "inProgress", "failed", "waiting"].forEach(function (key, index) {
      var line = svg.querySelectorAll("polyline")[index];
      if (!line) { return; }
      line.setAttribute("points", samples.map(function (s) {
        var x = samples.length === 1 ? WIDTH : (s.t - first) * WIDTH / span;
        var y = HEIGHT - s[key] * (HEIGHT - 4) / max - 2;
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" "));
    });
    svg.setAttribute("aria-label", branch + ": " + samples[samples.length - 1].converged + " converged, " + samples[samples.length - 1].inProgress +
      " in progress, " + samples[samples.length - 1].failed + " failed, " + samples[samples.length - 1].waiting + " waiting");
  }

  var source = new EventSource(live.getAttribute("data-live"));
  source.addEventListener("stages", function (event) {
    var stages;
    try { stages = JSON.parse(event.data); } catch (e) { return; }
    stages.forEach(function (stage) {
      var card = cardOf(stage.branch);
      if (!card) { return; }
      set(card, "converged", stage.converged);
      set(card, "in_progress", stage.inProgress);
      set(card, "failed", stage.failed);
      set(card, "waiting", stage.waiting);
      set(card, "offline", stage.offline);
      set(card, "total", stage.total);
      set(card, "phase", stage.phase);
      set(card, "wave", stage.wave);
      set(card, "waves", stage.waves);
      set(card, "message", stage.message);
      set(card, "ready", stage.ready ? "Ready" : "Not ready");
      set(card, "reconciling", stage.reconciling ? "Reconciling" : "Idle");
      var phase = card.querySelector('[data-field="phase"]');
      if (phase) { phase.className = "phase " + stage.phase; }
      var failed = card.querySelector('[data-field="failed"]');
      if (failed) { failed.className = stage.failed > 0 ? "bad" : ""; }
      if (stage.sample) {
        var list = series[stage.branch] || (series[stage.branch] = []);
        var last = list[list.length - 1];
        if (!last || last.t !== stage.sample.t) { list.push(stage.sample); if (list.length > 720) { list.shift(); } }
        draw(stage.branch);
      }
      card.setAttribute("data-updated", String(Date.now()));
    });
    live.setAttribute("data-connected", "true");
  });
  source.onerror = function () { live.setAttribute("data-connected", "false"); };
})();
