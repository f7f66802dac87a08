// The live Playground page: reads the controls, asks the server for a run, draws it.
// The server trains with fastmlp and sends the figures, the points and snapshots of the
// weights and neuron outputs; this script only maps values to colours and pixels.
"use strict";

const ORANGE = [245, 147, 34], GREY = [232, 234, 235], BLUE = [8, 119, 189];
const HEATMAP_ALPHA = 160 / 255;
const EXTENT = 6;

const $ = (id) => document.getElementById(id);
const state = {request: 0, run: null, spread: null, choices: null, hidden: [], limits: null,
               clamped: null};
// Timings of the last result shown, read by the browser test and bench/live_latency.py.
window.fastmlpLive = {latency: null, seconds: null, shown: 0, settings: null};

// ---------------------------------------------------------------- colours
function colour(value) {  // -1 orange, 0 grey, +1 blue, linear in between
  const v = Math.max(-1, Math.min(1, value));
  const [from, to, t] = v < 0 ? [GREY, ORANGE, -v] : [GREY, BLUE, v];
  return from.map((c, k) => Math.round(c + (to[k] - c) * t));
}
const PALETTE = Array.from({length: 256}, (_, q) => colour(q / 127.5 - 1));
const css = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// A resolution x resolution image of quantised values, drawn on a small canvas to be
// scaled onto the visible ones.
function tile(bytes, offset, resolution) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = resolution;
  const context = canvas.getContext("2d");
  const image = context.createImageData(resolution, resolution);
  for (let p = 0; p < resolution * resolution; p++) {
    const rgb = PALETTE[bytes[offset + p]];
    image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * p);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

// ---------------------------------------------------------------- controls
function fillSelect(select, values, label = (v) => v) {
  select.replaceChildren(...values.map((value) => new Option(label(value), value)));
}

function pretty(name) {  // x1^2 -> X₁², x1*x2 -> X₁X₂, sin(x1) -> sin(X₁)
  return name.replace(/x(\d)/g, (_, d) => "X" + "₀₁₂₃₄₅₆₇₈₉"[d])
    .replace("^2", "²").replace("*", "");
}

function numberOrText(id) {
  // Numbers go as numbers; anything else goes as typed, for the server to refuse by name.
  const text = $(id).value.trim();
  if (text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function readSettings() {
  const regularization = $("regularization").value;
  const problem = $("problem").value;
  return {
    dataset: $("dataset").value,
    noise: Number($("noise").value) / 100,
    train_ratio: Number($("train_ratio").value) / 100,
    batch_size: numberOrText("batch_size"),
    features: state.choices.features.filter((_, k) => $(`feature-${k}`).checked),
    hidden: state.hidden.map((_, layer) => numberOrText(`width-${layer}`)),
    activation: $("activation").value,
    learning_rate: numberOrText("learning_rate"),
    regularization: regularization === "none" ? null : regularization,
    regularization_rate: numberOrText("regularization_rate"),
    problem: problem === "auto" ? null : problem,
    epochs: numberOrText("epochs"),
    seed: numberOrText("seed"),
  };
}

function showSettings(settings) {
  $("dataset").value = settings.dataset;
  $("noise").value = Math.round(settings.noise * 100);
  $("train_ratio").value = Math.round(settings.train_ratio * 100);
  $("batch_size").value = settings.batch_size;
  state.choices.features.forEach((name, k) => {
    $(`feature-${k}`).checked = settings.features.includes(name);
  });
  state.hidden = settings.hidden.slice();
  buildWidths();
  $("activation").value = settings.activation;
  $("learning_rate").value = settings.learning_rate;
  $("regularization").value = settings.regularization || "none";
  $("regularization_rate").value = settings.regularization_rate;
  $("problem").value = settings.problem || "auto";
  $("epochs").value = settings.epochs;
  $("seed").value = settings.seed;
  showSliders();
}

function showSliders() {
  $("noise-shown").textContent = `${$("noise").value} %`;
  $("train_ratio-shown").textContent = `${$("train_ratio").value} %`;
}

function buildWidths() {
  const most = state.limits.max_neurons;
  const inputs = state.hidden.map((width, layer) => {
    const input = document.createElement("input");
    Object.assign(input, {type: "number", id: `width-${layer}`, min: 1, max: most, step: 1,
                          value: width, title: `neurons in hidden layer ${layer + 1}`});
    input.addEventListener("change", () => {
      // The app's limit, kept as the app's own controls keep it: the box is clamped.
      const typed = Number(input.value);
      if (input.value !== "" && Number.isFinite(typed)
          && (typed < 1 || typed > most || !Number.isInteger(typed))) {
        const clamped = Math.min(most, Math.max(1, Math.round(typed)));
        state.clamped = `a hidden layer has 1 to ${most} neurons on this page, as in the ` +
          `app: ${input.value} became ${clamped}`;
        input.value = clamped;
      }
      state.hidden[layer] = input.value;
      update();
    });
    return input;
  });
  $("widths").replaceChildren(...inputs);
  const count = state.hidden.length;
  $("layers-count").textContent = `${count} hidden layer${count === 1 ? "" : "s"}`;
  $("layers-add").disabled = count >= state.limits.max_hidden_layers;
  $("layers-remove").disabled = count === 0;
}

function setUpControls(defaults) {
  state.choices = defaults.choices;
  state.limits = defaults.limits;
  fillSelect($("dataset"), defaults.choices.dataset);
  fillSelect($("activation"), defaults.choices.activation);
  $("learning-rates").replaceChildren(
    ...defaults.choices.learning_rate.map((rate) => new Option(rate)));
  $("regularization-rates").replaceChildren(
    ...defaults.choices.regularization_rate.map((rate) => new Option(rate)));
  $("epochs").max = defaults.limits.max_epochs;
  $("features").replaceChildren(...defaults.choices.features.map((name, k) => {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"),
                              {type: "checkbox", id: `feature-${k}`, value: name});
    box.addEventListener("change", update);
    label.append(box, pretty(name));
    return label;
  }));
  for (const id of ["dataset", "batch_size", "activation", "learning_rate", "regularization",
                    "regularization_rate", "problem", "epochs", "seed", "noise", "train_ratio",
                    "seeds-switch"]) {
    $(id).addEventListener("change", update);
  }
  $("noise").addEventListener("input", showSliders);
  $("train_ratio").addEventListener("input", showSliders);
  $("layers-add").addEventListener("click", () => {
    state.hidden = readSettings().hidden.concat([2]);
    buildWidths();
    update();
  });
  $("layers-remove").addEventListener("click", () => {
    state.hidden = readSettings().hidden.slice(0, -1);
    buildWidths();
    update();
  });
  $("epoch-slider").addEventListener("input", () => showSnapshot(Number($("epoch-slider").value)));
  showSettings(defaults.settings);
}

// ---------------------------------------------------------------- requests
// The server orders requests as the page made them: this page's id and request number.
const pageId = Math.random().toString(36).slice(2) + Date.now().toString(36);

async function post(path, settings, request) {
  const response = await fetch(path, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Request-Order": `${pageId}:${request}`},
    body: JSON.stringify(settings),
  });
  return {status: response.status, body: await response.json()};
}

function showMessage(text) {  // an error: the picture is of the last good settings
  $("message").textContent = text;
  $("message").hidden = !text;
  document.body.classList.toggle("refused", Boolean(text));
}

async function update() {
  const request = ++state.request;
  const start = performance.now();
  const settings = readSettings();
  document.body.classList.add("busy");
  let answer;
  try {
    answer = await post("/api/run", settings, request);
  } catch (error) {
    if (request === state.request) {
      showMessage(`the server does not answer (${error.message}); is it still running?`);
      document.body.classList.remove("busy");
    }
    return;
  }
  if (request !== state.request || answer.status === 409) return;  // a newer change won
  document.body.classList.remove("busy");
  if (answer.status !== 200) {
    showMessage(answer.body.error || `the server answered ${answer.status}`);
    return;
  }
  showMessage(state.clamped || "");  // a clamped box says so until the next change
  state.clamped = null;
  showRun(answer.body);
  await new Promise((resolve) => requestAnimationFrame(resolve));
  const latency = performance.now() - start;
  window.fastmlpLive = {latency, seconds: answer.body.seconds,
                        shown: window.fastmlpLive.shown + 1, settings: answer.body.settings};
  $("status").textContent = `trained ${answer.body.trained} epochs in ` +
    `${(answer.body.seconds * 1000).toFixed(0)} ms; shown ${latency.toFixed(0)} ms after ` +
    "the change";
  if ($("seeds-switch").checked) {
    await updateSpread(request, settings);
  } else {
    state.spread = null;
    $("spread").hidden = true;
  }
}

async function updateSpread(request, settings) {
  if (request !== state.request) return;  // a newer change is on its way
  $("seed-summary").textContent = "training over seeds…";
  $("spread").hidden = false;
  let answer;
  try {
    answer = await post("/api/seeds", settings, request);
  } catch (error) {
    if (request === state.request) showMessage(`the server does not answer (${error.message})`);
    return;
  }
  if (request !== state.request || answer.status === 409) return;
  if (answer.status !== 200) {
    showMessage(answer.body.error || `the server answered ${answer.status}`);
    return;
  }
  state.spread = answer.body;
  drawSpread();
}

// ---------------------------------------------------------------- one run
function showRun(run) {
  run.inputTiles = decodeTiles(run.inputs, run.sizes[0], run.resolution.neuron);
  state.run = run;
  const last = run.snapshots.length - 1;
  $("epoch-slider").max = last;
  $("epoch-slider").value = last;
  $("notice").hidden = !run.diverged;
  $("notice").textContent = run.diverged
    ? `The run diverged in epoch ${run.trained + 1} (its loss is NaN, as the app shows it); ` +
      `the weights after epoch ${run.trained} are shown. Lower the learning rate.`
    : "";
  showSnapshot(last);
}

function decodeTiles(base64, count, resolution) {
  const bytes = decode(base64);
  return Array.from({length: count}, (_, n) => tile(bytes, n * resolution * resolution,
                                                    resolution));
}

function lossesAt(run, epoch) {  // the history starts at epoch 0, the initial weights
  return {train_loss: run.history.train_loss[epoch],
          test_loss: run.history.test_loss[epoch]};
}

function formatLoss(value) {  // 3 decimals as in the app; a diverging run's in powers of 10
  if (value === null) return "NaN";
  return Math.abs(value) < 1000 ? value.toFixed(3) : value.toExponential(2);
}

function showLoss(id, value) {
  $(id).dataset.value = value === null ? "NaN" : String(value);
  $(id).textContent = formatLoss(value);
}

function showSnapshot(index) {
  const run = state.run;
  const snapshot = run.snapshots[index];
  if (!snapshot.tiles) {  // decoded once, when first shown
    const hidden = run.sizes.slice(1).reduce((a, b) => a + b, 0);
    snapshot.tiles = decodeTiles(snapshot.neurons, hidden, run.resolution.neuron);
    snapshot.outputTile = tile(decode(snapshot.output), 0, run.resolution.output);
  }
  $("shown-epoch").textContent = snapshot.epoch;
  $("shown-epoch").dataset.index = index;
  const losses = lossesAt(run, snapshot.epoch);
  showLoss("test-loss", losses.test_loss);
  showLoss("train-loss", losses.train_loss);
  drawNetwork(run, snapshot);
  drawOutput(run, snapshot);
  drawLoss(run, snapshot.epoch);
}

// ---------------------------------------------------------------- drawing
function drawNetwork(run, snapshot) {
  const canvas = $("network");
  const sizes = run.sizes, node = 36, gap = 12, top = 22, labelRoom = 64;
  const tallest = Math.max(...sizes);
  canvas.height = top + tallest * (node + gap) + 8;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const step = (canvas.width - labelRoom - node - 4) / Math.max(1, sizes.length - 1);
  const x = (layer) => labelRoom + layer * step;
  const y = (neuron) => top + neuron * (node + gap);

  snapshot.weights.forEach((W, layer) => W.forEach((row, j) => row.forEach((w, i) => {
    if (w === null) return;  // a link L1 killed
    const x0 = x(layer) + node, y0 = y(i) + node / 2, x1 = x(layer + 1), y1 = y(j) + node / 2;
    context.strokeStyle = css(colour(w));
    context.lineWidth = 1 + 9 * Math.min(Math.abs(w), 5) / 5;  // the app's link widths
    context.beginPath();
    context.moveTo(x0, y0);
    context.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1);
    context.stroke();
  })));

  context.imageSmoothingEnabled = true;
  context.font = "12px system-ui, sans-serif";
  context.textBaseline = "middle";
  let tileIndex = 0;
  sizes.forEach((width, layer) => {
    context.fillStyle = "#666";
    context.textAlign = "center";
    const header = layer === 0 ? "inputs" : layer === sizes.length - 1 ? "output"
      : `${width} neuron${width === 1 ? "" : "s"}`;
    context.fillText(header, x(layer) + node / 2, 9);
    for (let n = 0; n < width; n++) {
      const picture = layer === 0 ? run.inputTiles[n] : snapshot.tiles[tileIndex++];
      context.drawImage(picture, x(layer), y(n), node, node);
      context.strokeStyle = "#555";
      context.lineWidth = 1;
      context.strokeRect(x(layer) + 0.5, y(n) + 0.5, node - 1, node - 1);
      if (layer === 0) {
        context.fillStyle = "#333";
        context.textAlign = "right";
        context.fillText(pretty(run.features[n]), x(0) - 8, y(n) + node / 2);
      } else {
        const bias = snapshot.biases[layer - 1][n];
        context.fillStyle = bias === null ? css(GREY) : css(colour(bias));
        context.fillRect(x(layer) - 4, y(n) + node - 6, 9, 9);
        context.strokeRect(x(layer) - 4 + 0.5, y(n) + node - 6 + 0.5, 8, 8);
      }
    }
  });
}

function drawOutput(run, snapshot) {
  const canvas = $("output"), context = canvas.getContext("2d");
  const size = canvas.width;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
  context.globalAlpha = HEATMAP_ALPHA;
  context.imageSmoothingEnabled = true;
  context.drawImage(snapshot.outputTile, 0, 0, size, size);
  context.globalAlpha = 1;
  const toPixel = (value) => (value + EXTENT) / (2 * EXTENT) * size;
  for (const [points, edge] of [[run.train, "#fff"], [run.test, "#000"]]) {
    context.strokeStyle = edge;
    context.lineWidth = 1;
    for (let p = 0; p < points.x1.length; p++) {
      context.fillStyle = css(colour(points.label[p]));
      context.beginPath();
      context.arc(toPixel(points.x1[p]), size - toPixel(points.x2[p]), 3.5, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
    }
  }
  context.fillStyle = "#555";
  context.font = "10px system-ui, sans-serif";
  context.textAlign = "left";
  context.fillText("−6", 3, size - 4);
  context.textAlign = "right";
  context.fillText("6", size - 3, size - 4);
  context.fillText("6", 12, 10);
}

function drawLoss(run, epoch) {
  const canvas = $("loss"), context = canvas.getContext("2d");
  const width = canvas.width, height = canvas.height, pad = 6;
  context.clearRect(0, 0, width, height);
  const series = {
    train: run.history.train_loss,
    test: run.history.test_loss,
  };
  const finite = [...series.train, ...series.test].filter((v) => v !== null);
  const smallest = Math.min(...finite), largest = Math.max(1e-12, ...finite);
  // logarithmic when the losses span more than two decades, as fastmlp.plotting does
  const logarithmic = smallest > 0 && largest > 100 * smallest;
  const scale = logarithmic ? Math.log10 : (v) => v;
  const low = logarithmic ? scale(smallest) : 0, high = scale(largest);
  const last = Math.max(1, series.test.length - 1);
  const px = (e) => pad + e / last * (width - 2 * pad);
  const py = (v) => height - pad - (scale(v) - low) / (high - low || 1) * (height - 2 * pad - 12);
  for (const [name, stroke] of [["train", "#999"], ["test", "#000"]]) {
    context.strokeStyle = stroke;
    context.lineWidth = 1.5;
    context.beginPath();
    let drawing = false;
    series[name].forEach((v, e) => {
      if (v === null) { drawing = false; return; }
      if (drawing) context.lineTo(px(e), py(v)); else context.moveTo(px(e), py(v));
      drawing = true;
    });
    context.stroke();
  }
  context.strokeStyle = css(BLUE);
  context.setLineDash([3, 3]);
  context.beginPath();
  context.moveTo(px(epoch), 0);
  context.lineTo(px(epoch), height);
  context.stroke();
  context.setLineDash([]);
  context.font = "11px system-ui, sans-serif";
  context.textAlign = "right";
  context.textBaseline = "top";
  context.fillStyle = "#000";
  context.fillText("test", width - pad, 2);
  context.fillStyle = "#999";
  context.fillText("train", width - pad - 30, 2);
  context.fillStyle = "#555";
  context.textAlign = "left";
  context.fillText(`max ${formatLoss(largest)}${logarithmic ? ", log scale" : ""}`, pad, 2);
}

function drawSpread() {
  const spread = state.spread;
  const fmt = (v) => v === null ? "–" : formatLoss(v);
  const diverged = spread.diverged.filter(Boolean).length;
  const summary = $("seed-summary");
  summary.textContent = `test loss over seeds ${spread.seeds[0]}–${spread.seeds.at(-1)}: ` +
    `min ${fmt(spread.min)} · median ${fmt(spread.median)} · max ${fmt(spread.max)}` +
    (diverged ? ` (${diverged} diverged)` : "");
  Object.assign(summary.dataset, {min: spread.min, median: spread.median, max: spread.max});
  const canvas = $("seed-strip"), context = canvas.getContext("2d");
  const width = canvas.width, height = canvas.height, pad = 12;
  context.clearRect(0, 0, width, height);
  if (spread.min === null) return;
  // logarithmic when the losses span more than two decades, as the loss chart
  const logarithmic = spread.min > 0 && spread.max > 100 * spread.min;
  const scale = logarithmic ? Math.log10 : (v) => v;
  const span = Math.max(scale(spread.max) - scale(spread.min), 1e-9);
  const px = (v) => pad + (scale(v) - scale(spread.min)) / span * (width - 2 * pad);
  context.strokeStyle = "#ccc";
  context.beginPath();
  context.moveTo(pad, 22);
  context.lineTo(width - pad, 22);
  context.stroke();
  context.strokeStyle = css(BLUE);
  context.lineWidth = 2;
  context.beginPath();
  context.moveTo(px(spread.median), 10);
  context.lineTo(px(spread.median), 34);
  context.stroke();
  context.lineWidth = 1;
  spread.test_loss.forEach((loss, k) => {
    if (loss === null) return;
    const current = spread.seeds[k] === state.run?.settings.seed;
    context.fillStyle = current ? "#000" : "rgba(80,80,80,.55)";
    context.beginPath();
    context.arc(px(loss), 22 + (k % 2 ? 5 : -5), current ? 5 : 4, 0, 2 * Math.PI);
    context.fill();
  });
  context.fillStyle = "#555";
  context.font = "10px system-ui, sans-serif";
  context.textBaseline = "bottom";
  context.textAlign = "left";
  context.fillText(fmt(spread.min), pad, height - 2);
  context.textAlign = "right";
  context.fillText(fmt(spread.max), width - pad, height - 2);
  context.textAlign = "center";
  context.fillText(`median (seed ${state.run?.settings.seed} is black)` +
                   (logarithmic ? ", log scale" : ""), width / 2, height - 2);
}

// ---------------------------------------------------------------- start
fetch("/api/defaults").then((response) => response.json()).then((defaults) => {
  setUpControls(defaults);
  update();
});
