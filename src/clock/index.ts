export { abortError, type Clock, sleepOn, type TimerHandle } from './clock.js';
export { createRng, entropySeed, type Rng } from './rng.js';
export { realDelay, SystemClock } from './system-clock.js';
export { flushMicrotasks, VirtualClock } from './virtual-clock.js';
