// megacluster dashboard: pick a preset, change a few parameters, run, see the story, the charts and the key
// figures. The charts are the report's own (built by the server: same labels, same event markers).
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { preset: null, initial: {}, runs: 0, running: false, limits: { maxSteps: null, maxDays: null } };
  var DEFAULT_PRESET = "colossus-2024";
  var STEPS = [[60, "1 minute"], [300, "5 minutes"], [900, "15 minutes"], [3600, "1 hour"], [10800, "3 hours"]];
  var NARROW_PX = 600;

  // Server field (dotted) -> the input whose error box shows it; longest prefix wins.
  var FIELD_TO_INPUT = [
    ["preset", "preset"], ["extends", "preset"], ["seed", "seed"],
    ["simulation.horizon_days", "days"], ["simulation.step", "step"], ["simulation", "days"],
    ["fleet", "gpus"], ["power.generators", "generators"], ["power.grid", "grid"],
    ["power.battery", "battery"], ["training", "target"]
  ];
  var INPUTS = ["preset", "days", "step", "seed", "gpus", "generators", "grid", "battery", "target"];
  var EDITABLE = ["days", "step", "seed", "gpus", "generators", "grid", "battery-count", "battery-mw", "battery-mwh", "target"];

  function inputFor(field) {
    if (!field) { return "general"; }
    var best = null, bestLen = -1;
    FIELD_TO_INPUT.forEach(function (pair) {
      var p = pair[0];
      var hit = field === p || field.indexOf(p + ".") === 0 || field.indexOf(p + "[") === 0;
      if (hit && p.length > bestLen) { best = pair[1]; bestLen = p.length; }
    });
    return best || "general";
  }

  function clearErrors() {
    INPUTS.concat(["general"]).forEach(function (name) {
      var box = $("error-" + name);
      if (box) { box.textContent = ""; }
    });
    document.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
  }

  function showError(name, message) {
    var box = $("error-" + name) || $("error-general");
    box.textContent = message;
    var ids = name === "battery" ? ["battery-count", "battery-mw", "battery-mwh"] : [name];
    ids.forEach(function (id) { if ($(id) && !$(id).closest("[hidden]")) { $(id).classList.add("invalid"); } });
  }

  function fmtNumber(x) { return x === null || x === undefined ? "" : String(x); }
  function fmtInt(x) { return Math.round(x).toLocaleString("en-US"); }

  function gridText(grid) {
    return (grid || []).map(function (s) { return s.from + " " + s.mw; }).join("\n");
  }

  function parseGrid(text) {
    var steps = [];
    var lines = text.split(/\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line) { continue; }
      var m = line.match(/^(\d{4}-\d{2}-\d{2})[\s,:;]+(-?[\d.eE+]+)\s*(MW)?$/i);
      if (!m) { throw new Error("line " + (i + 1) + ": expected “YYYY-MM-DD MW”, e.g. 2024-08-01 50"); }
      steps.push({ from: m[1], mw: Number(m[2]) });
    }
    if (!steps.length) { throw new Error("give at least one line “YYYY-MM-DD MW”"); }
    return steps;
  }

  function numberOrText(value) {
    var v = value.trim();
    if (v !== "" && !isNaN(Number(v))) { return Number(v); }
    return v;
  }

  function stepLabel(seconds) {
    var known = STEPS.filter(function (s) { return s[0] === seconds; })[0];
    return known ? known[1] : seconds + " s";
  }

  function stepsFor(days, step) { return days * 86400 / step; }

  // The preset's own step when the server's step limit allows it at this horizon, else the finest that fits.
  function chooseStep(days, own) {
    var max = state.limits.maxSteps;
    if (!max || stepsFor(days, own) <= max) { return own; }
    var fits = STEPS.filter(function (s) { return s[0] > own && stepsFor(days, s[0]) <= max; });
    return fits.length ? fits[0][0] : STEPS[STEPS.length - 1][0];
  }

  function fillStepOptions(own) {
    var select = $("step");
    select.innerHTML = "";
    var options = STEPS.map(function (s) { return s[0]; });
    if (options.indexOf(own) < 0) { options.push(own); options.sort(function (a, b) { return a - b; }); }
    options.forEach(function (seconds) {
      var o = document.createElement("option");
      o.value = String(seconds);
      o.textContent = stepLabel(seconds) + (seconds === own ? " (the preset's own)" : "");
      select.appendChild(o);
    });
  }

  function updateStepNote() {
    var days = Number($("days").value), step = Number($("step").value), own = state.ownStep;
    var note = $("step-note");
    if (!isFinite(days) || days <= 0 || !step) { note.textContent = ""; return; }
    Array.prototype.forEach.call($("step").options, function (o) {  // steps over the server's limit: greyed
      o.disabled = !!state.limits.maxSteps && stepsFor(days, Number(o.value)) > state.limits.maxSteps;
    });
    var text = stepLabel(step) + (step === own ? " (the preset's own)" : "") + ": " + fmtInt(stepsFor(days, step)) +
      " steps over " + fmtInt(days) + " days.";
    var max = state.limits.maxSteps;
    if (max) {
      text += " This server runs at most " + (state.limits.maxDays ? fmtInt(state.limits.maxDays) + " days and " : "") +
        fmtInt(max) + " steps per replica (" + fmtInt(max * step / 86400) + " days at " + stepLabel(step) + ").";
      if (step !== own && stepsFor(days, own) > max) {
        text += " The preset's " + stepLabel(own) + " would need " + fmtInt(stepsFor(days, own)) + " steps, so a coarser step was picked.";
      }
    }
    note.textContent = text;
  }

  function fillBattery(bat) {
    var units = !!(bat && bat.unit);
    $("battery-units").hidden = !units;
    $("battery-size").hidden = units;
    $("battery-count").value = units ? fmtNumber(bat.count === null || bat.count === undefined ? 1 : bat.count) : "";
    $("battery-unit").textContent = units
      ? "× " + bat.unit + " = " + fmtInt(bat.power_mw) + " MW / " + fmtInt(bat.energy_mwh) + " MWh" +
        (bat.available_from ? ", from " + bat.available_from : "")
      : "";
    $("battery-mw").value = !units && bat && bat.power_mw ? fmtNumber(bat.power_mw) : "";
    $("battery-mwh").value = !units && bat && bat.energy_mwh ? fmtNumber(bat.energy_mwh) : "";
  }

  function fillForm(detail) {
    var sc = detail.scenario;
    state.preset = detail;
    $("preset-description").textContent = detail.description;
    var days = sc.simulation.horizon_days;
    if (state.limits.maxDays) { days = Math.min(days, state.limits.maxDays); }
    $("days").value = fmtNumber(days);
    state.ownStep = Number(sc.simulation.step);
    fillStepOptions(state.ownStep);
    $("step").value = String(chooseStep(days, state.ownStep));
    $("seed").value = fmtNumber(sc.simulation.seed);
    $("gpus").value = fmtNumber(sc.fleet[0].count);
    var gens = sc.power.generators || [];
    $("generators").disabled = gens.length === 0;
    $("generators").value = gens.length ? fmtNumber(gens[0].count) : "";
    $("generators-unit").textContent = gens.length ? (gens[0].unit || "") + (gens[0].rating_mw ? " at " + gens[0].rating_mw + " MW" : "") : "this preset has no generators";
    $("grid").value = gridText(sc.power.grid);
    fillBattery(sc.power.battery);
    var tr = sc.training;
    $("target").disabled = !tr;
    $("target").value = tr && tr.target_flop ? tr.target_flop.toExponential(2) : "";
    state.initial = {};
    ["gpus", "generators", "grid", "battery-count", "battery-mw", "battery-mwh", "target"].forEach(function (id) {
      state.initial[id] = $(id).value;
    });
    updateStepNote();
  }

  function changed(id) { return $(id).value !== state.initial[id]; }

  function batteryOverrides(overrides) {
    if (!$("battery-units").hidden) {
      if (changed("battery-count")) { overrides["power.battery.count"] = numberOrText($("battery-count").value); }
      return;
    }
    if (changed("battery-mw") || changed("battery-mwh")) {
      var mw = $("battery-mw").value.trim(), mwh = $("battery-mwh").value.trim();
      if (mw === "" && mwh === "") { overrides["power.battery"] = null; }
      else { overrides["power.battery"] = { power_mw: numberOrText(mw), energy_mwh: numberOrText(mwh) }; }
    }
  }

  function buildRequest() {
    var overrides = {
      "simulation.horizon_days": numberOrText($("days").value),
      "simulation.step": Number($("step").value)
    };
    if (changed("gpus")) { overrides["fleet[0].count"] = numberOrText($("gpus").value); }
    if (!$("generators").disabled && changed("generators")) {
      overrides["power.generators[0].count"] = numberOrText($("generators").value);
    }
    if (changed("grid")) {
      try { overrides["power.grid"] = parseGrid($("grid").value); }
      catch (e) { throw { field: "power.grid", message: e.message }; }
    }
    batteryOverrides(overrides);
    if (!$("target").disabled && changed("target")) {
      overrides["training.target_flop"] = numberOrText($("target").value);
      overrides["training.target_tokens"] = null;
    }
    var body = { preset: $("preset").value, overrides: overrides };
    var seed = $("seed").value.trim();
    if (seed !== "") { body.seed = numberOrText(seed); }
    return body;
  }

  function markStale() {
    if (!state.runs) { return; }
    $("results").classList.add("stale");
    $("stale-note").hidden = false;
    document.body.setAttribute("data-stale", "true");
  }

  function markFresh() {
    $("results").classList.remove("stale");
    $("stale-note").hidden = true;
    document.body.setAttribute("data-stale", "false");
  }

  // Charts whose layout.meta.zoom_detail_days is set show their 'detail' (hourly) traces when zoomed in to
  // that many days or less, else their 'overview' (daily) traces — as in report.html.
  function swapDetail(div, days) {
    var span = Infinity, xa = div._fullLayout && div._fullLayout.xaxis;
    if (xa && xa.range) { span = (new Date(xa.range[1]) - new Date(xa.range[0])) / 86400000; }
    var detail = span <= days, show = [], idx = [];
    div.data.forEach(function (t, i) {
      if (t.meta === "detail" || t.meta === "overview") { idx.push(i); show.push((t.meta === "detail") === detail); }
    });
    var now = idx.map(function (i) { return div.data[i].visible !== false; });
    if (JSON.stringify(now) !== JSON.stringify(show)) { Plotly.restyle(div, { visible: show }, idx); }
  }

  function fitToWidth(layout, width) {
    if (width >= NARROW_PX) { return layout; }
    layout.height = Math.max(layout.height || 400, 470);
    layout.margin = Object.assign({}, layout.margin, { l: 48, r: 48 });
    if (layout.title) { layout.title.font = Object.assign({}, layout.title.font, { size: 14 }); }
    return layout;
  }

  function drawCharts(result) {
    var box = $("charts");
    box.querySelectorAll(".js-plotly-plot").forEach(function (div) { Plotly.purge(div); });
    box.innerHTML = "";
    var cfg = { responsive: true, displaylogo: false };
    result.charts.forEach(function (chart) {
      var id = "dash-" + chart.id.replace(/^(chart|compare)-/, "");
      if (!chart.figure) {
        var note = document.createElement("p");
        note.className = "chart-note"; note.id = id; note.textContent = chart.caption;
        box.appendChild(note);
        return;
      }
      var div = document.createElement("div");
      div.className = "chart"; div.id = id;
      var caption = document.createElement("p");
      caption.className = "caption"; caption.textContent = chart.caption;
      box.appendChild(div); box.appendChild(caption);
      var fig = chart.figure;
      if (chart.time_axis) {
        fig.data.forEach(function (t) { if (t._x === "time") { t.x = result.chart_time; delete t._x; } });
      }
      Plotly.newPlot(div, fig.data, fitToWidth(fig.layout, div.clientWidth), cfg);
      var days = fig.layout.meta && fig.layout.meta.zoom_detail_days;
      if (days) { div.on("plotly_relayout", function () { swapDetail(div, days); }); }
    });
  }

  function list(items) {
    var ul = document.createElement("ul");
    items.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; ul.appendChild(li); });
    return ul;
  }

  function showStory(story) {
    $("outcome").textContent = story.outcome;
    var box = $("story");
    box.innerHTML = "";
    [["Power", story.power], ["Training", story.training]].forEach(function (part) {
      if (!part[1].length) { return; }
      var h = document.createElement("h3"); h.textContent = part[0];
      box.appendChild(h); box.appendChild(list(part[1]));
    });
  }

  function showFigures(figures) {
    var body = $("key-figures").querySelector("tbody");
    body.innerHTML = "";
    figures.forEach(function (f) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-key", f.key);
      [f.label, f.text, f.unit].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 1) { td.className = "num"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function showTimeline(rows) {
    var ul = $("timeline");
    ul.innerHTML = "";
    rows.forEach(function (row) {
      var li = document.createElement("li"), t = document.createElement("time");
      t.textContent = row.when; li.appendChild(t); li.appendChild(document.createTextNode(" " + row.what));
      ul.appendChild(li);
    });
  }

  function setRunning(running, started) {
    state.running = running;
    $("run").disabled = running;
    $("progress").hidden = !running;
    document.body.setAttribute("data-running", running ? "true" : "false");
    clearInterval(state.timer);
    if (running) {
      var tick = function () { $("progress-text").textContent = "running… " + ((performance.now() - started) / 1000).toFixed(1) + " s"; };
      tick();
      state.timer = setInterval(tick, 100);
    }
  }

  function run(event) {
    if (event) { event.preventDefault(); }
    if (state.running) { return; }
    clearErrors();
    var body;
    try { body = buildRequest(); }
    catch (e) { showError(inputFor(e.field), e.message); return; }
    var started = performance.now();
    setRunning(true, started);
    $("status").textContent = "";
    fetch("/api/simulate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); })
      .then(function (res) {
        if (!res.ok) {
          showError(inputFor(res.data.field), res.data.message || ("error " + res.status));
          $("status").textContent = "not run: see the message above";
          document.body.setAttribute("data-last-error", res.data.field || "general");
          return;
        }
        var took = (performance.now() - started) / 1000;
        markFresh();
        showStory(res.data.story);
        showFigures(res.data.key_figures);
        showTimeline(res.data.timeline);
        drawCharts(res.data);
        state.runs += 1;
        document.body.setAttribute("data-runs", String(state.runs));
        $("status").textContent = "done: " + res.data.scenario.name + " in " + took.toFixed(1) + " s (simulation " +
          res.data.elapsed_s.toFixed(1) + " s on the server), " + stepLabel(Number(body.overrides["simulation.step"])) + " steps";
      })
      .catch(function (e) { showError("general", "request failed: " + e); })
      .then(function () { setRunning(false); });
  }

  function loadPreset(name) {
    clearErrors();
    return fetch("/api/presets/" + encodeURIComponent(name))
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw d; } return d; }); })
      .then(fillForm)
      .catch(function (e) { showError("preset", e.message || String(e)); });
  }

  function loadLimits() {
    return fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
      var op = ((spec.paths || {})["/api/simulate"] || {}).post || {};
      state.limits.maxSteps = op["x-max-steps"] || null;
      state.limits.maxDays = op["x-max-horizon-days"] || null;
    }).catch(function () { /* no limits known: the server's answer names them */ });
  }

  function init() {
    EDITABLE.forEach(function (id) {
      ["input", "change"].forEach(function (kind) { $(id).addEventListener(kind, markStale); });
    });
    ["days", "step"].forEach(function (id) { $(id).addEventListener("input", updateStepNote); $(id).addEventListener("change", updateStepNote); });
    $("controls").addEventListener("submit", run);
    loadLimits().then(function () { return fetch("/api/presets"); }).then(function (r) { return r.json(); }).then(function (presets) {
      var select = $("preset");
      presets.forEach(function (p) {
        var o = document.createElement("option");
        o.value = p.name; o.textContent = p.name;
        select.appendChild(o);
      });
      if (presets.some(function (p) { return p.name === DEFAULT_PRESET; })) { select.value = DEFAULT_PRESET; }
      select.addEventListener("change", function () { markStale(); loadPreset(select.value); });
      return loadPreset(select.value);
    }).then(function () {
      document.body.setAttribute("data-ready", "true");
      run();  // the page shows the preset's own run from the start, never a blank page
    });
  }

  init();
})();
