/*
 * Runs the Neural Network Playground's own code, outside the browser, on runs that
 * tests/test_playground_app.py describes, and prints what the app computes for them.
 *
 * nn.ts, dataset.ts and state.ts sit next to this file unchanged from
 * tensorflow/playground; they are transpiled in memory with the TypeScript compiler the
 * app builds with (2.9), using the options of the app's tsconfig.json. The app's training
 * step, oneStep, and the helpers it calls live in src/playground.ts, which also draws the
 * page; those few functions are copied below, each marked with its source. The copied
 * parts are Copyright 2016 Google Inc., under the Apache License 2.0 (LICENSE here).
 *
 * Usage: node driver.js < runs.json > results.json, with TypeScript and d3 3.5 on
 * NODE_PATH. Input: {"runs": [...], "generators": [...]}, see the test. Numbers go both
 * ways in shortest round-trip form, so float64 values cross unchanged; non-finite numbers
 * are written as the bare tokens NaN, Infinity and -Infinity, which Python's json reads.
 */
"use strict";

const fs = require("fs");
const ts = require("typescript");

// The app's tsconfig.json: {"module": "commonjs", "removeComments": true,
// "preserveConstEnums": true}, the target left at the compiler's default.
require.extensions[".ts"] = function (module, filename) {
  const output = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      removeComments: true,
      preserveConstEnums: true,
    },
    fileName: filename,
  });
  module._compile(output.outputText, filename);
};

const nn = require("./nn.ts");
const stateModule = require("./state.ts");
const {State, activations, regularizations, datasets, regDatasets, problems, Problem} =
    stateModule;

// ---------------------------------------------------------------- from src/playground.ts
// (tensorflow/playground, commit 02469bd3751764b20486015d4202b792af5362a6), unchanged
// but for the label fields, which only the page uses.

let INPUTS = {
  "x": {f: (x, y) => x},
  "y": {f: (x, y) => y},
  "xSquared": {f: (x, y) => x * x},
  "ySquared": {f: (x, y) => y * y},
  "xTimesY": {f: (x, y) => x * y},
  "sinX": {f: (x, y) => Math.sin(x)},
  "sinY": {f: (x, y) => Math.sin(y)},
};

let state;
let network = null;
let lossTrain = 0;
let lossTest = 0;
let iter = 0;
let trainData = [];
let testData = [];

function getLoss(network, dataPoints) {
  let loss = 0;
  for (let i = 0; i < dataPoints.length; i++) {
    let dataPoint = dataPoints[i];
    let input = constructInput(dataPoint.x, dataPoint.y);
    let output = nn.forwardProp(network, input);
    loss += nn.Errors.SQUARE.error(output, dataPoint.label);
  }
  return loss / dataPoints.length;
}

function constructInputIds() {
  let result = [];
  for (let inputName in INPUTS) {
    if (state[inputName]) {
      result.push(inputName);
    }
  }
  return result;
}

function constructInput(x, y) {
  let input = [];
  for (let inputName in INPUTS) {
    if (state[inputName]) {
      input.push(INPUTS[inputName].f(x, y));
    }
  }
  return input;
}

// oneStep, whole but for its last line, updateUI(), which only redraws the page.
function oneStep() {
  iter++;
  trainData.forEach((point, i) => {
    let input = constructInput(point.x, point.y);
    nn.forwardProp(network, input);
    nn.backProp(network, point.label, nn.Errors.SQUARE);
    if ((i + 1) % state.batchSize === 0) {
      nn.updateWeights(network, state.learningRate, state.regularizationRate);
    }
  });
  // Compute the loss.
  lossTrain = getLoss(network, trainData);
  lossTest = getLoss(network, testData);
}

// The part of reset() that makes the network; the rest of it serialises the settings
// into the page's address and redraws the page. The initial losses it computes are
// computed again below, once the network has the run's weights.
function buildNetworkAsReset() {
  iter = 0;
  let numInputs = constructInput(0 , 0).length;
  let shape = [numInputs].concat(state.networkShape).concat([1]);
  let outputActivation = (state.problem === Problem.REGRESSION) ?
      nn.Activations.LINEAR : nn.Activations.TANH;
  network = nn.buildNetwork(shape, state.activation, outputActivation,
      state.regularization, constructInputIds(), state.initZero);
}
// ------------------------------------------------------------ end of src/playground.ts

function examples(rows) {
  return rows.map(([x, y, label]) => ({x, y, label}));
}

/**
 * The network's state: per layer (after the input layer), the weights [node][input link],
 * the biases [node], the dead flags [node][input link], and what backProp has
 * accumulated since the last update: the derivatives for the weights and the biases, and
 * each node's count of accumulated points [node].
 */
function snapshot() {
  const state = {weights: [], biases: [], dead: [], accWeights: [], accBiases: [],
                 counts: []};
  for (let layerIdx = 1; layerIdx < network.length; layerIdx++) {
    const layer = network[layerIdx];
    state.weights.push(layer.map(node => node.inputLinks.map(link => link.weight)));
    state.biases.push(layer.map(node => node.bias));
    state.dead.push(layer.map(node => node.inputLinks.map(link => link.isDead)));
    state.accWeights.push(layer.map(node => node.inputLinks.map(link => link.accErrorDer)));
    state.accBiases.push(layer.map(node => node.accInputDer));
    state.counts.push(layer.map(node => node.numAccumulatedDers));
  }
  return state;
}

/** One run: the app's network with the given weights, trained for run.epochs steps. */
function train(run) {
  state = new State();
  for (let inputName in INPUTS) {
    state[inputName] = run.inputs.indexOf(inputName) >= 0;
  }
  state.activation = activations[run.activation];
  state.regularization = regularizations[run.regularization];
  state.regularizationRate = run.regularizationRate;
  state.learningRate = run.learningRate;
  state.batchSize = run.batchSize;
  state.networkShape = run.hidden;
  state.problem = problems[run.problem];
  trainData = examples(run.train);
  testData = examples(run.test);

  buildNetworkAsReset();
  for (let layerIdx = 1; layerIdx < network.length; layerIdx++) {
    network[layerIdx].forEach((node, i) => {
      node.bias = run.biases[layerIdx - 1][i];
      node.inputLinks.forEach((link, j) => {
        link.weight = run.weights[layerIdx - 1][i][j];
      });
    });
  }
  const trainLoss = [getLoss(network, trainData)];
  const testLoss = [getLoss(network, testData)];

  // The states after every epoch up to the first one whose loss is not finite, that
  // one excluded; the state after epoch 0 is the initial one.
  const states = [snapshot()];
  let finite = isFinite(trainLoss[0]) && isFinite(testLoss[0]);
  for (let epoch = 1; epoch <= run.epochs; epoch++) {
    oneStep();
    trainLoss.push(lossTrain);
    testLoss.push(lossTest);
    finite = finite && isFinite(lossTrain) && isFinite(lossTest);
    if (finite) {
      states.push(snapshot());
    }
  }
  return {trainLoss, testLoss, states, inputIds: network[0].map(node => node.id)};
}

/** One data set drawn by the app's generator with Math.random replaced by `uniforms`. */
function generate(request) {
  const generator = request.problem === "regression" ?
      regDatasets[request.name] : datasets[request.name];
  const uniforms = request.uniforms;
  let used = 0;
  const appRandom = Math.random;
  Math.random = () => {
    if (used >= uniforms.length) {
      throw new Error(`${request.name} drew more than the ${uniforms.length} numbers given`);
    }
    return uniforms[used++];
  };
  let points;
  try {
    points = generator(request.numSamples, request.noise);
  } finally {
    Math.random = appRandom;
  }
  return {points: points.map(p => [p.x, p.y, p.label]), used};
}

/** JSON with float64 values written exactly, and NaN / Infinity as bare tokens. */
function dump(value) {
  if (typeof value === "number") {
    return String(value);
  }
  if (Array.isArray(value)) {
    return "[" + value.map(dump).join(",") + "]";
  }
  if (value !== null && typeof value === "object") {
    return "{" + Object.keys(value).map(
        key => JSON.stringify(key) + ":" + dump(value[key])).join(",") + "}";
  }
  return JSON.stringify(value);
}

const request = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(dump({
  runs: request.runs.map(train),
  generators: request.generators.map(generate),
}));
