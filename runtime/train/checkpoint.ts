// Checkpoints: one safetensors file with the weights (PyTorch names), the optimizer's slots
// (prefixed `optimizer.`), and every non-tensor value as a `__metadata__` string, so that
// `--resume` continues bit for bit: position in the data, optimizer step, the model RNG.
import { decodeSafetensors, encodeSafetensors, loadNamedTensors, readTensor, SafetensorsError, type NamedTensor } from '../safetensors.js';
import type { CompiledModel } from '../model.js';
import type { EpochMetrics, Position } from './loop.js';
import type { EarlyStoppingState } from './recipe.js';
import type { ScheduleState } from './schedule.js';

export const CHECKPOINT_FORMAT = 'cnnc-checkpoint-1';
const SLOT_PREFIX = 'optimizer.';

/** The run's settings, fixed when it starts; a resume reuses them. */
export interface RunSettings {
  readonly seed: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly lr: number;
  /** `mnist10k` or `idx:<dir>`. */
  readonly data: string;
  /** --limit: evenly spaced subsets of this many samples; null: every sample. Absent in checkpoints
   *  written before cnnc recorded it. */
  readonly limit?: number | null;
}

export interface Checkpoint {
  readonly specHash: string;
  readonly cnncVersion: string;
  readonly settings: RunSettings;
  readonly position: Position;
  readonly metrics: readonly EpochMetrics[];
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function encodeCheckpoint(model: CompiledModel, cp: Checkpoint): Uint8Array {
  const state = model.getTrainingState();
  const tensors: NamedTensor[] = model.parameters().map((p) => ({ name: p.name, shape: p.shape, data: p.data }));
  for (const s of state.slots) tensors.push({ name: SLOT_PREFIX + s.name, shape: [s.data.length], data: s.data });
  // JSON numbers print the shortest string that reads back to the same double: exact round trip.
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    cnnc_version: cp.cnncVersion,
    spec_hash: cp.specHash,
    model: model.name,
    epoch: String(cp.position.epoch),
    step_in_epoch: String(cp.position.stepInEpoch),
    global_step: String(cp.position.globalStep),
    epoch_loss_sum: JSON.stringify(cp.position.lossSum),
    epoch_loss_count: String(cp.position.lossCount),
    optimizer_step: String(state.step),
    rng_state: JSON.stringify(state.rng),
    settings: JSON.stringify(cp.settings),
    metrics: JSON.stringify(cp.metrics),
    // Present where the run has them: a resumed run continues the schedule and the early-stopping counters.
    ...(cp.position.schedule == null ? {} : { scheduler_state: JSON.stringify(cp.position.schedule) }),
    ...(cp.position.earlyStopping == null ? {} : { early_stopping_state: JSON.stringify(cp.position.earlyStopping) }),
  };
  return encodeSafetensors(tensors, metadata);
}

/** Reads the metadata only (to check the spec hash before touching the model). */
export function readCheckpointInfo(bytes: Uint8Array, file: string): Checkpoint {
  const m = decodeOrThrow(bytes, file).metadata;
  const get = (key: string): string => {
    const v = m[key];
    if (v === undefined) throw new CheckpointError(`${file}: not a cnnc checkpoint (metadata has no "${key}")`);
    return v;
  };
  if (get('format') !== CHECKPOINT_FORMAT) throw new CheckpointError(`${file}: unknown checkpoint format "${m.format}" (expected ${CHECKPOINT_FORMAT})`);
  const int = (key: string): number => {
    const v = Number(get(key));
    if (!Number.isSafeInteger(v) || v < 0) throw new CheckpointError(`${file}: metadata "${key}" is not a count: ${JSON.stringify(m[key])}`);
    return v;
  };
  const bad = (key: string, what: string): never => {
    throw new CheckpointError(`${file}: metadata "${key}" is not ${what}: ${JSON.stringify(m[key]).slice(0, 80)}`);
  };
  const settings = parseJson(file, 'settings', get('settings'));
  if (!isRunSettings(settings)) bad('settings', 'the run settings { seed, batchSize, epochs, lr, data, limit }');
  const lossSum = parseJson(file, 'epoch_loss_sum', get('epoch_loss_sum'));
  if (typeof lossSum !== 'number' || !Number.isFinite(lossSum)) bad('epoch_loss_sum', 'a finite number');
  const metrics = parseJson(file, 'metrics', get('metrics'));
  if (!Array.isArray(metrics) || !metrics.every((x) => typeof x === 'object' && x !== null && Number.isSafeInteger((x as EpochMetrics).epoch) && typeof (x as EpochMetrics).loss === 'number')) {
    bad('metrics', 'a list of epoch records');
  }
  return {
    specHash: get('spec_hash'),
    cnncVersion: get('cnnc_version'),
    settings: settings as RunSettings,
    position: {
      epoch: int('epoch'),
      stepInEpoch: int('step_in_epoch'),
      globalStep: int('global_step'),
      lossSum: lossSum as number,
      lossCount: int('epoch_loss_count'),
      // Checked where they are used (createSchedule's setState, EarlyStopping.setState), against the spec's kinds.
      schedule: m.scheduler_state === undefined ? null : (parseJson(file, 'scheduler_state', m.scheduler_state) as ScheduleState),
      earlyStopping: m.early_stopping_state === undefined ? null : (parseJson(file, 'early_stopping_state', m.early_stopping_state) as EarlyStoppingState),
    },
    metrics: metrics as EpochMetrics[],
  };
}

function isRunSettings(v: unknown): v is RunSettings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const s = v as Record<string, unknown>;
  const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) > 0;
  return Number.isSafeInteger(s['seed']) && count(s['batchSize']) && count(s['epochs']) && typeof s['lr'] === 'number' && Number.isFinite(s['lr']) && (s['lr'] as number) > 0 &&
    typeof s['data'] === 'string' && (s['limit'] === undefined || s['limit'] === null || count(s['limit']));
}

/** Loads weights, optimizer slots and RNG into the model; on any mismatch the model is unchanged. */
export function restoreCheckpoint(model: CompiledModel, bytes: Uint8Array, file: string): void {
  const m = decodeOrThrow(bytes, file).metadata;
  const state = model.getTrainingState();
  const slots = state.slots.map((s) => ({ name: s.name, data: new Float32Array(s.data.length) }));
  const params = model.parameters();
  const staged = params.map((p) => ({ name: p.name, shape: p.shape, data: new Float32Array(p.data.length) }));
  const into: NamedTensor[] = [...staged, ...slots.map((s) => ({ name: SLOT_PREFIX + s.name, shape: [s.data.length], data: s.data }))];
  try {
    loadNamedTensors(bytes, into, 'checkpoint');
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${file}: ${e.message}`);
    throw e;
  }
  const step = Number(m.optimizer_step);
  const rng = parseJson(file, 'rng_state', m.rng_state ?? '') as number[];
  // The RNG's state words (as many as the model's, uint32, not all zero) and a step count, or the model
  // would throw on them.
  const words = Array.isArray(rng) && rng.length === state.rng.length && rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && rng.some((w) => w !== 0);
  if (!Number.isSafeInteger(step) || step < 0 || !words) throw new CheckpointError(`${file}: bad optimizer_step or rng_state metadata`);
  params.forEach((p, i) => p.data.set(staged[i]!.data));
  model.setTrainingState({ step, slots, rng });
}

function decodeOrThrow(bytes: Uint8Array, file: string): ReturnType<typeof decodeSafetensors> {
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${file}: ${e.message}`);
    throw e;
  }
}

function parseJson(file: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CheckpointError(`${file}: metadata "${key}" is not valid JSON`);
  }
}
