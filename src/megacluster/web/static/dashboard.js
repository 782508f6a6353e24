// megacluster dashboard: pick a preset, change a few parameters, run, see the charts and key figures.
"use strict";

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { preset: null, initial: {}, runs: 0 };

  // Server field (dotted) -> the input whose error box shows it; longest prefix wins.
  var FIELD_TO_INPUT = [
    ["preset", "preset"], ["extends", "preset"], ["seed", "seed"],
    ["simulation.horizon_days", "days"], ["simulation.step", "step"], ["simulation", "days"],
    ["fleet", "gpus"], ["power.generators", "generators"], ["power.grid", "grid"],
    ["power.battery", "battery"], ["training", "target"]
  ];
  var INPUTS = ["preset", "days", "step", "seed", "gpus", "generators", "grid", "battery", "target"];

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
    var ids = name === "battery" ? ["battery-mw", "battery-mwh"] : [name];
    ids.forEach(function (id) { if ($(id)) { $(id).classList.add("invalid"); } });
  }

  function fmtNumber(x) {
    if (x === null || x === undefined) { return ""; }
    return String(x);
  }

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

  function fillForm(detail) {
    var sc = detail.scenario;
    state.preset = detail;
    $("preset-description").textContent = detail.description;
    $("days").value = fmtNumber(Math.min(sc.simulation.horizon_days, 120));
    $("seed").value = fmtNumber(sc.simulation.seed);
    $("gpus").value = fmtNumber(sc.fleet[0].count);
    var gens = sc.power.generators || [];
    $("generators").disabled = gens.length === 0;
    $("generators").value = gens.length ? fmtNumber(gens[0].count) : "";
    $("generators-unit").textContent = gens.length ? (gens[0].unit || "") + (gens[0].rating_mw ? " at " + gens[0].rating_mw + " MW" : "") : "this preset has no generators";
    $("grid").value = gridText(sc.power.grid);
    var bat = sc.power.battery;
    $("battery-mw").value = bat && bat.power_mw ? fmtNumber(bat.power_mw) : "";
    $("battery-mwh").value = bat && bat.energy_mwh ? fmtNumber(bat.energy_mwh) : "";
    var tr = sc.training;
    $("target").disabled = !tr;
    $("target").value = tr && tr.target_flop ? tr.target_flop.toExponential(2) : "";
    state.initial = {};
    ["gpus", "generators", "grid", "battery-mw", "battery-mwh", "target"].forEach(function (id) {
      state.initial[id] = $(id).value;
    });
  }

  function changed(id) { return $(id).value !== state.initial[id]; }

  function buildRequest() {
    var overrides = {
      "simulation.horizon_days": numberOrText($("days").value),
      "simulation.step": $("step").value
    };
    if (changed("gpus")) { overrides["fleet[0].count"] = numberOrText($("gpus").value); }
    if (!$("generators").disabled && changed("generators")) {
      overrides["power.generators[0].count"] = numberOrText($("generators").value);
    }
    if (changed("grid")) {
      try { overrides["power.grid"] = parseGrid($("grid").value); }
      catch (e) { throw { field: "power.grid", message: e.message }; }
    }
    if (changed("battery-mw") || changed("battery-mwh")) {
      var mw = $("battery-mw").value.trim(), mwh = $("battery-mwh").value.trim();
      if (mw === "" && mwh === "") { overrides["power.battery"] = null; }
      else { overrides["power.battery"] = { power_mw: numberOrText(mw), energy_mwh: numberOrText(mwh) }; }
    }
    if (!$("target").disabled && changed("target")) {
      overrides["training.target_flop"] = numberOrText($("target").value);
      overrides["training.target_tokens"] = null;
    }
    var body = { preset: $("preset").value, overrides: overrides };
    var seed = $("seed").value.trim();
    if (seed !== "") { body.seed = numberOrText(seed); }
    return body;
  }

  function layout(title, yTitle, extra) {
    var base = {
      title: { text: title, x: 0.01, xanchor: "left" }, template: "plotly_white", height: 340,
      margin: { l: 70, r: 30, t: 40, b: 40 }, hovermode: "x unified",
      legend: { orientation: "h", y: -0.12, yanchor: "top", x: 0, xanchor: "left" },
      yaxis: { title: { text: yTitle }, rangemode: "tozero" }
    };
    return Object.assign(base, extra || {});
  }

  function line(x, y, name, color, extra) {
    return Object.assign({ x: x, y: y, name: name, type: "scatter", mode: "lines", line: { color: color, width: 1.6 } }, extra || {});
  }

  function draw(result) {
    var ts = result.timeseries, t = ts.time;
    var cfg = { responsive: true, displaylogo: false };
    var gpus = [];
    if (ts.gpus_installed) { gpus.push(line(t, ts.gpus_installed, "installed", "#7f7f7f")); }
    if (ts.gpus_powered) { gpus.push(line(t, ts.gpus_powered, "powered", "#1f77b4", { line: { color: "#1f77b4", width: 4 } })); }
    if (ts.job_gpus) { gpus.push(line(t, ts.job_gpus, "training job", "#2ca02c")); }
    Plotly.react("dash-gpus", gpus, layout("GPUs installed, powered and training", "GPUs"), cfg);

    var supply = [];
    var stack = function (key, name, color, f) {
      if (!ts[key]) { return; }
      supply.push({ x: t, y: f ? ts[key].map(f) : ts[key], name: name, type: "scatter", mode: "lines",
                    stackgroup: "s", line: { width: 0.5, color: color } });
    };
    stack("grid_mw", "grid", "#1f77b4");
    stack("generators_mw", "generators", "#ff7f0e");
    stack("battery_mw", "battery discharge", "#2ca02c", function (v) { return v > 0 ? v : 0; });
    stack("unserved_mw", "curtailed (unserved)", "#d62728");
    var demand = ts.demand_full_mw;
    if (!demand && ts.facility_power_mw) {
      demand = ts.facility_power_mw.map(function (v, i) { return v + (ts.unserved_mw ? ts.unserved_mw[i] : 0); });
    }
    if (demand) { supply.push(line(t, demand, "facility demand", "#111111", { line: { dash: "dot", color: "#111111" } })); }
    if (ts.supply_capacity_mw) { supply.push(line(t, ts.supply_capacity_mw, "supply capacity", "#9467bd", { line: { dash: "dash", color: "#9467bd" } })); }
    Plotly.react("dash-supply", supply, layout("Power supply by source against demand", "MW"), cfg);

    var training = [];
    if (ts.cumulative_flop_p10 && ts.cumulative_flop_p90) {
      training.push(line(t, ts.cumulative_flop_p10, "P10", "#2ca02c", { line: { width: 0 }, showlegend: false }));
      training.push(line(t, ts.cumulative_flop_p90, "P10–P90", "#2ca02c", { line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(44,160,44,0.2)" }));
    }
    if (ts.cumulative_flop) { training.push(line(t, ts.cumulative_flop, "cumulative FLOP", "#2ca02c")); }
    var target = result.summary.training ? result.summary.training.target_flop : null;
    if (target && t.length) { training.push(line([t[0], t[t.length - 1]], [target, target], "target", "#d62728", { line: { dash: "dash", color: "#d62728" } })); }
    Plotly.react("dash-training", training, layout("Training progress", "FLOP"), cfg);

    var battery = [line(t, ts.battery_soc_mwh || t.map(function () { return 0; }), "state of charge", "#2ca02c")];
    Plotly.react("dash-battery", battery, layout("Battery state of charge", "MWh"), cfg);
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

  function run(event) {
    if (event) { event.preventDefault(); }
    clearErrors();
    var body;
    try { body = buildRequest(); }
    catch (e) { showError(inputFor(e.field), e.message); return; }
    $("run").disabled = true;
    $("status").textContent = "running…";
    var started = performance.now();
    fetch("/api/simulate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); })
      .then(function (res) {
        if (!res.ok) {
          showError(inputFor(res.data.field), res.data.message || ("error " + res.status));
          $("status").textContent = "not run: see the message above";
          document.body.setAttribute("data-last-error", res.data.field || "general");
          return;
        }
        showFigures(res.data.key_figures);
        draw(res.data);
        state.runs += 1;
        document.body.setAttribute("data-runs", String(state.runs));
        $("status").textContent = "done: " + res.data.scenario.name + " in " + ((performance.now() - started) / 1000).toFixed(1) + " s";
      })
      .catch(function (e) { showError("general", "request failed: " + e); })
      .then(function () { $("run").disabled = false; });
  }

  function loadPreset(name) {
    clearErrors();
    return fetch("/api/presets/" + encodeURIComponent(name))
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw d; } return d; }); })
      .then(fillForm)
      .catch(function (e) { showError("preset", e.message || String(e)); });
  }

  function init() {
    fetch("/api/presets").then(function (r) { return r.json(); }).then(function (list) {
      var select = $("preset");
      list.forEach(function (p) {
        var o = document.createElement("option");
        o.value = p.name; o.textContent = p.name;
        select.appendChild(o);
      });
      select.addEventListener("change", function () { loadPreset(select.value); });
      return loadPreset(select.value);
    }).then(function () { document.body.setAttribute("data-ready", "true"); });
    $("controls").addEventListener("submit", run);
  }

  init();
})();
