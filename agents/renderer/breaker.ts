/**
 * A circuit breaker per encoder slot's device. A device encoder (a GPU's, …) that fails mid-job has
 * its item retried in software; once a slot's device has failed `threshold` times in a row, its
 * breaker opens and the slot encodes in software for a cool-down. After the cool-down the next item
 * tries the device again: a success closes the breaker, a failure opens it again at once.
 */
import { Duration } from "effect"

export interface BreakerSettings {
  /** Consecutive device failures on one slot that open its breaker. Default 2. */
  readonly threshold?: number
  /** How long an open breaker keeps the slot on software. Default 5 minutes. */
  readonly coolDown?: Duration.DurationInput
}

interface Breaker {
  readonly device: string
  readonly fallback: string
  failures: number
  openUntil: number | undefined
  trial: boolean
}

export type BreakerChange =
  | { readonly _tag: "Opened"; readonly device: string; readonly fallback: string; readonly failures: number; readonly until: number }
  | { readonly _tag: "Trial"; readonly device: string }
  | { readonly _tag: "Closed"; readonly device: string }

export interface DeviceBreakers {
  /** The encoder an item pulled by `agent` at `now` must use instead of its device, if any; and what changed. */
  readonly route: (agent: string, now: number) => { readonly encoder: string | undefined; readonly change: BreakerChange | undefined }
  /** `agent`'s device `device` failed; `fallback` is where its work goes meanwhile. */
  readonly failure: (agent: string, device: string, fallback: string, now: number) => BreakerChange | undefined
  /** `agent` finished an item with `encoder`. */
  readonly success: (agent: string, encoder: string) => BreakerChange | undefined
  /** Where `agent`'s work goes while its breaker is open at `now` (its software fallback); undefined when closed. */
  readonly openFallback: (agent: string, now: number) => string | undefined
}

export const makeDeviceBreakers = (settings: BreakerSettings = {}): DeviceBreakers => {
  const threshold = Math.max(1, settings.threshold ?? 2)
  const coolDownMs = Duration.toMillis(Duration.decode(settings.coolDown ?? "5 minutes"))
  const breakers = new Map<string, Breaker>()

  return {
    route: (agent, now) => {
      const breaker = breakers.get(agent)
      if (breaker?.openUntil === undefined) return { encoder: undefined, change: undefined }
      if (now < breaker.openUntil) return { encoder: breaker.fallback, change: undefined }
      // Cool-down over: this item tries the device; one more failure opens the breaker again.
      breaker.openUntil = undefined
      breaker.trial = true
      breaker.failures = threshold - 1
      return { encoder: undefined, change: { _tag: "Trial", device: breaker.device } }
    },
    failure: (agent, device, fallback, now) => {
      const known = breakers.get(agent)
      const breaker: Breaker = known?.device === device ? known : { device, fallback, failures: 0, openUntil: undefined, trial: false }
      breakers.set(agent, breaker)
      breaker.failures += 1
      if (breaker.failures < threshold) return undefined
      breaker.openUntil = now + coolDownMs
      breaker.trial = false
      return { _tag: "Opened", device, fallback, failures: breaker.failures, until: breaker.openUntil }
    },
    openFallback: (agent, now) => {
      const breaker = breakers.get(agent)
      return breaker?.openUntil !== undefined && now < breaker.openUntil ? breaker.fallback : undefined
    },
    success: (agent, encoder) => {
      const breaker = breakers.get(agent)
      if (breaker === undefined || breaker.device !== encoder) return undefined
      breaker.failures = 0
      if (!breaker.trial) return undefined
      breaker.trial = false
      return { _tag: "Closed", device: encoder }
    }
  }
}
