// @ts-check
// The V8 CPU profiler over the measured region only (`--profile`), through an inspector session
// into this process: the pre-loading and the harness's INFO calls stay out of the profile.
import { Session } from 'node:inspector/promises';

/** @typedef {import('./profile-summary.mjs').CpuProfile} CpuProfile */

export class RegionProfiler {
  /** @param {number} intervalUs  sampling interval */
  constructor(intervalUs) {
    this.intervalUs = intervalUs;
    this.session = new Session();
    this.connected = false;
    /** @type {CpuProfile | undefined} the profile of the last region, until taken */
    this.last = undefined;
  }

  async start() {
    if (!this.connected) {
      this.session.connect();
      this.connected = true;
      await this.session.post('Profiler.enable');
      await this.session.post('Profiler.setSamplingInterval', { interval: this.intervalUs });
    }
    this.last = undefined;
    await this.session.post('Profiler.start');
  }

  async stop() {
    const { profile } = await this.session.post('Profiler.stop');
    this.last = /** @type {CpuProfile} */ (profile);
  }

  /** The last region's profile, once. */
  take() {
    const profile = this.last;
    this.last = undefined;
    return profile;
  }

  close() {
    if (this.connected) this.session.disconnect();
    this.connected = false;
  }
}
