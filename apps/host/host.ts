/**
 * The job host behind `reelswarm serve`: one production layer over the state directory (its lock
 * held), jobs submitted by any face queued and run `concurrency` at a time through the same durable
 * workflow as `reelswarm run`. A job's file is written (pending) before its submission is
 * acknowledged and stays until the job is over, so a server killed and started again resumes every
 * job it accepted. What each job did (its stages, its render parts, how it ended) is followed from
 * the swarm's events and kept in `<state>/served/<id>.json`, so lists survive a restart too.
 */
import { WorkflowEngine } from "@effect/workflow"
import { Cause, Effect, Exit, Fiber, Layer, Option, PubSub, Queue, Schema, type Scope, Stream } from "effect"
import { existsSync, readdirSync } from "node:fs"
import { mkdir, readFile, rm } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import {
  AGENT_NAMES,
  cancelJob,
  CancelRender,
  currentAttempt,
  decodeVideoSwarmEvent,
  executionId,
  jobId,
  JobReport,
  JobSpec,
  ProduceVideo,
  readPlan,
  recordFailure,
  reportPath,
  scriptTitle,
  type StageName,
  type TopologyChoice
} from "../../agents/index.ts"
import { mediaFileSystem, writeFileAtomic } from "../../media/index.ts"
import { EventLog, SharedMemory } from "../../memory/index.ts"
import { Swarm, type SwarmEvent, SwarmEvents } from "../../runtime/index.ts"
import {
  type CliError,
  executeJob,
  holdState,
  JobFailedError,
  jobFile,
  machineTier,
  markPending,
  pendingJobs,
  productionLayerFor,
  stateDatabaseFailures,
  type StateDirError,
  stateDirError
} from "../cli/run-job.ts"
import {
  hostDirs,
  type JobDetail,
  JobHost,
  type JobHostService,
  JobNotFoundError,
  JobRequest,
  type JobRequestError,
  type JobState,
  JobStateError,
  JobSummary,
  PartRecord,
  StageRecord
} from "./contract.ts"
import { toJobSpec } from "./job-spec.ts"
import { makeThumbnails, thumbnailFile } from "./thumbnails.ts"

export interface JobHostOptions {
  /** The state directory: its database, job files, uploads and outputs. */
  readonly state: string
  readonly topology: TopologyChoice
  /** Jobs running at once; the others wait in the queue. */
  readonly concurrency: number
  /** Encoder agents, shared by every job's renders. */
  readonly encoderSlots: number
  /** The state directory's cache cap, pruned to after each job (apps/cli/state-cache.ts); default 2 GB. */
  readonly cacheMax?: number | undefined
}

/** What is kept of a served job across restarts; its report lies beside its video. */
const JobRecord = Schema.Struct({
  ...JobSummary.fields,
  request: JobRequest,
  spec: JobSpec,
  stages: Schema.Array(StageRecord),
  parts: Schema.Array(PartRecord)
})
type JobRecord = typeof JobRecord.Type
const JobRecordJson = Schema.parseJson(JobRecord)

export const servedDir = (state: string) => join(state, "served")
const recordFile = (state: string, id: string) => join(servedDir(state), `${id}.json`)

/** `<outputs>/<key>/`: named by the request's own hash, since the job id hashes the output path inside it. */
const outputDir = (spec: JobSpec) => dirname(spec.output.path)
const thumbsDir = (spec: JobSpec) => join(outputDir(spec), "thumbs")

/**
 * How much of a job each stage is, for its progress: the render is most of the time; the script is
 * quick unless Claude writes it.
 */
const STAGE_WEIGHTS: Record<StageName, number> = {
  script: 1,
  narration: 2,
  scenes: 0.5,
  footage: 1,
  shots: 0.5,
  fetch: 1,
  plan: 1,
  render: 12,
  qc: 2,
  report: 0.5
}
/** The weight of the stages `job` runs: quality control only when it asked for it. */
const totalWeight = (job: Job) =>
  Object.entries(STAGE_WEIGHTS).reduce((a, [stage, weight]) => a + (stage === "qc" && job.spec.qc !== true ? 0 : weight), 0)

/** A job as the host holds it while it serves. */
interface Job {
  summary: JobSummary
  readonly request: JobRequest
  readonly spec: JobSpec
  stages: Array<StageRecord>
  parts: Array<PartRecord>
  report: JobReport | undefined
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** The render's frames: the plan's total and each work item's frames so far. */
  render: { readonly total: number; readonly frames: Map<number, number> } | undefined
}

const isOver = (state: JobState) => state === "done" || state === "failed" || state === "cancelled"

const progressOf = (job: Job): number => {
  if (job.summary.state === "done") return 1
  const done = job.stages.filter((s) => s.state === "done").reduce((sum, s) => sum + STAGE_WEIGHTS[s.stage], 0)
  const rendering = job.stages.some((s) => s.stage === "render" && s.state === "running") && job.render !== undefined
  const frames = rendering ? [...job.render!.frames.values()].reduce((a, b) => a + b, 0) : 0
  const fraction = rendering && job.render!.total > 0 ? Math.min(1, frames / job.render!.total) : 0
  return Math.min(1, (done + fraction * STAGE_WEIGHTS.render) / totalWeight(job))
}

/** A request that would make `spec`: for jobs the CLI left in the state directory, which no face submitted. */
const requestOf = (spec: JobSpec): JobRequest => {
  const captions = { lines: "lines", "word-by-word": "words", karaoke: "karaoke", none: "none" } as const
  return Schema.decodeUnknownSync(JobRequest)({
    ...(spec.script._tag === "Text"
      ? { script: spec.script.text, title: spec.script.title }
      : spec.script._tag === "Topic"
      ? { topic: spec.script.topic }
      : { title: spec.script.title }),
    ...(spec.footage._tag === "Folder" ? { footage: spec.footage.dir } : {}),
    ...(spec.footage._tag === "Files" ? { images: spec.footage.files } : {}),
    ...(spec.narration === undefined ? {} : { narration: spec.narration.file }),
    ...(spec.output.music === undefined ? {} : { music: spec.output.music.path }),
    size: `${spec.output.width}x${spec.output.height}`,
    fps: spec.output.fps,
    captions: captions[spec.output.captions],
    voice: spec.voice,
    encoder: spec.output.encoder,
    segments: spec.segments,
    seed: spec.seed
  })
}

const summaryOf = (record: JobRecord): JobSummary => {
  const { parts: _parts, request: _request, spec: _spec, stages: _stages, ...summary } = record
  return summary
}

/**
 * The host over the production layer in the environment (which it must be the only user of: hold
 * the state's lock first, or use `layer`). Closing its scope interrupts the running jobs; their files
 * stay pending, so the next host on the state resumes them.
 */
/** A job a host finds in the jobs folder with no record of its own (the CLI's, or a record lost): its request rebuilt from the spec. */
const leftBehind = (
  left: { readonly id: string; readonly spec: JobSpec; readonly since: number },
  summary: Pick<JobSummary, "state"> & Partial<Pick<JobSummary, "failure">>
): Job => ({
  summary: {
    id: left.id,
    title: scriptTitle(left.spec.script),
    progress: 0,
    submittedAt: left.since,
    ...summary
  },
  request: requestOf(left.spec),
  spec: left.spec,
  stages: [],
  parts: [],
  report: undefined,
  fiber: undefined,
  render: undefined
})

export const makeJobHost = (options: JobHostOptions): Effect.Effect<
  JobHostService,
  CliError | StateDirError,
  Scope.Scope | Swarm | SwarmEvents | EventLog | SharedMemory | WorkflowEngine.WorkflowEngine
> =>
  Effect.gen(function*() {
    const { state } = options
    const settings = { state, topology: options.topology, cacheMax: options.cacheMax }
    const dirs = hostDirs(state)
    const fs = yield* mediaFileSystem
    yield* Effect.forEach(
      [servedDir(state), dirs.outputs, dirs.footage, dirs.music],
      (dir) => Effect.mapError(fs.makeDirectory(dir, { recursive: true }), stateDirError(state, "write"))
    )
    const swarm = yield* Swarm
    const events = yield* SwarmEvents
    const eventLog = yield* EventLog
    const memory = yield* SharedMemory
    const engine = yield* WorkflowEngine.WorkflowEngine

    const jobs = new Map<string, Job>()
    const queue = yield* Queue.unbounded<string>()
    const changes = yield* PubSub.unbounded<JobSummary>()
    /** Submissions, cancellations and removals, one at a time: each checks a job's state, then changes it. */
    const lock = yield* Effect.makeSemaphore(1)
    /** Render plans by file → the job rendering them. */
    const plans = new Map<string, string>()

    const save = (job: Job) =>
      writeFileAtomic(
        recordFile(state, job.summary.id),
        Schema.encodeSync(JobRecordJson)({ ...job.summary, request: job.request, spec: job.spec, stages: job.stages, parts: job.parts })
      ).pipe(
        Effect.catchAll((error) => Effect.logWarning(`cannot keep the record of ${job.summary.id}: ${error.message}`))
      )
    const changed = (job: Job, change: Partial<JobSummary> = {}) => {
      job.summary = { ...job.summary, ...change }
      job.summary = { ...job.summary, progress: progressOf(job) }
      return PubSub.publish(changes, job.summary)
    }

    // Jobs served before: their records, then every job file left in the state directory.
    for (const name of readdirSync(servedDir(state)).filter((n) => n.endsWith(".json"))) {
      const file = join(servedDir(state), name)
      const record = yield* Effect.tryPromise(() => readFile(file, "utf8")).pipe(
        Effect.flatMap(Schema.decodeUnknown(JobRecordJson)),
        Effect.tapError(() => Effect.logWarning(`ignoring ${file}: not a job record`)),
        Effect.option
      )
      if (Option.isNone(record)) continue
      const { parts, request, spec, stages } = record.value
      const job: Job = {
        summary: summaryOf(record.value),
        request,
        spec,
        stages: [...stages],
        parts: [...parts],
        report: undefined,
        fiber: undefined,
        render: undefined
      }
      if (job.summary.state === "done") {
        job.report = Option.getOrUndefined(
          yield* Effect.tryPromise(() => readFile(reportPath(spec.output.path), "utf8")).pipe(
            Effect.flatMap(Schema.decodeUnknown(Schema.parseJson(JobReport))),
            Effect.option
          )
        )
      }
      jobs.set(job.summary.id, job)
    }
    const resumed: Array<string> = []
    for (const left of yield* pendingJobs(state)) {
      const known = jobs.get(left.id)
      if (left.status === "failed") {
        if (known !== undefined) continue
        jobs.set(
          left.id,
          leftBehind(left, {
            state: "failed",
            ...(left.failure === undefined ? {} : { failure: { stage: left.failure.stage, message: left.failure.message } })
          })
        )
        continue
      }
      const job: Job = known ?? leftBehind(left, { state: "queued" })
      // What was running when the last host stopped runs again from where its workflow was.
      const { startedAt: _startedAt, ...waiting } = job.summary
      job.summary = { ...waiting, state: "queued" }
      jobs.set(left.id, job)
      yield* save(job)
      resumed.push(left.id)
    }
    // A record whose job is neither finished nor in the jobs folder: someone else (`reelswarm resume`) ran it.
    for (const job of jobs.values()) {
      if (isOver(job.summary.state) || resumed.includes(job.summary.id)) continue
      const finished = existsSync(reportPath(job.spec.output.path))
      job.summary = {
        ...job.summary,
        state: finished ? "done" : "failed",
        ...(finished ? {} : { failure: { stage: "start", message: "its job file went missing while the server was down" } })
      }
      yield* save(job)
    }

    /** The job of a render plan, from the plan's output path. */
    const jobOfPlan = (planFile: string) =>
      Effect.gen(function*() {
        const known = plans.get(planFile)
        if (known !== undefined) return jobs.get(known)
        const plan = Option.getOrUndefined(yield* Effect.option(readPlan(planFile)))
        if (plan === undefined) return undefined
        const output = resolve(plan.files.output)
        for (const job of jobs.values()) {
          if (resolve(job.spec.output.path) === output) {
            plans.set(planFile, job.summary.id)
            job.render = { total: plan.totalFrames, frames: new Map() }
            return job
          }
        }
        return undefined
      })

    /** Stops the renders of `job` the renderer is running (its ffmpeg children, its queued work); other jobs' are untouched. */
    const cancelRenders = (job: Job) =>
      Effect.forEach(
        [...plans].filter(([, id]) => id === job.summary.id).map(([planFile]) => planFile),
        (planFile) =>
          swarm.ask(AGENT_NAMES.renderer, new CancelRender({ planFile }), { timeout: "30 seconds" }).pipe(
            Effect.catchAll((error) => Effect.logWarning(`cannot cancel the render of ${job.summary.id}: ${error.message}`))
          ),
        { discard: true }
      )

    const stageRecord = (job: Job, stage: StageName) => job.stages.find((s) => s.stage === stage)

    const onEvent = Effect.fn("host.onEvent")(function*(raw: SwarmEvent) {
      const decoded = decodeVideoSwarmEvent(raw)
      if (Option.isNone(decoded)) return
      const event = decoded.value
      // A job's last events may come in after its run returned; a cancelled job's workflow may still be at
      // work. A job still queued here may already run: on start the workflow engine resumes every workflow
      // it had persisted, before this host's queue reaches the job again.
      const running = (job: Job | undefined): job is Job => job !== undefined && job.summary.state !== "cancelled"
      switch (event.type) {
        case "stage-started": {
          const job = jobs.get(event.job ?? "")
          if (!running(job)) return
          const { stage } = event.data
          const record: StageRecord = { stage, state: "running", attempts: event.data.attempt, startedAt: event.ts }
          job.stages = [...job.stages.filter((s) => s.stage !== stage), record]
          yield* changed(job, { stage })
          return yield* save(job)
        }
        case "stage-finished":
        case "stage-failed": {
          const job = jobs.get(event.job ?? "")
          if (!running(job)) return
          const { stage } = event.data
          const started = stageRecord(job, stage)
          const record: StageRecord = event.type === "stage-finished"
            ? {
              stage,
              state: "done",
              attempts: started?.attempts ?? 1,
              // From the stage's own duration: its start may have been published before this host listened.
              startedAt: event.ts - Math.round(event.data.seconds * 1000),
              finishedAt: event.ts,
              seconds: event.data.seconds
            }
            : {
              stage,
              state: "failed",
              attempts: event.data.attempt,
              startedAt: started?.startedAt ?? event.ts,
              finishedAt: event.ts,
              message: event.data.message
            }
          job.stages = job.stages.map((s) => (s.stage === stage ? record : s))
          if (started === undefined) job.stages.push(record)
          yield* changed(job)
          return yield* save(job)
        }
        case "render-started":
        case "render-reused": {
          const job = yield* jobOfPlan(event.data.planFile)
          // A render its workflow asked for before it saw the job's cancellation mark.
          if (job?.summary.state === "cancelled") return yield* cancelRenders(job)
          if (running(job)) yield* changed(job)
          return
        }
        case "encode-progress": {
          const job = yield* jobOfPlan(event.data.planFile)
          if (!running(job) || job.render === undefined) return
          job.render.frames.set(event.data.index, event.data.frame)
          return yield* changed(job)
        }
        case "part-encoded": {
          const job = yield* jobOfPlan(event.data.planFile)
          if (!running(job)) return
          const { agent, encoder, index, kind } = event.data
          job.parts = [...job.parts.filter((p) => p.kind !== kind || p.index !== index), { kind, index, agent, encoder }]
          yield* changed(job)
          return yield* save(job)
        }
      }
    })

    // Subscribed before any job runs, so no job's first stage is missed. Each event is taken in whole
    // (uninterruptible): a host closed meanwhile has saved what it showed.
    const live = yield* events.subscribe
    yield* Effect.forkScoped(
      Stream.runForEach(
        live,
        (event) => Effect.uninterruptible(Effect.catchAllCause(onEvent(event), (cause) => Effect.logWarning("host: event", cause)))
      )
    )

    const runQueued = (id: string) =>
      Effect.gen(function*() {
        const job = jobs.get(id)
        if (job === undefined || job.summary.state !== "queued") return
        job.render = undefined
        const { failure: _failure, finishedAt: _finishedAt, ...summary } = job.summary
        job.summary = summary
        yield* changed(job, { state: "running", startedAt: Date.now() })
        const fiber = yield* Effect.fork(executeJob(job.spec, settings, false))
        job.fiber = fiber
        yield* save(job)
        const exit = yield* Fiber.await(fiber)
        job.fiber = undefined
        // Cancelled: `cancel` says so; interrupted with the host: its file stays pending for the next host.
        if (job.summary.state !== "running" || (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))) return
        if (Exit.isSuccess(exit)) {
          const { run: _run, ...report } = exit.value
          job.report = report
          yield* machineTier(settings.state).pipe(
            Effect.flatMap((tier) => makeThumbnails(job.spec.output.path, report, thumbsDir(job.spec), tier.defaults.previewSize)),
            Effect.catchAll((error) => Effect.logWarning(`no thumbnails for ${id}: ${error.message}`))
          )
          yield* changed(job, { state: "done", finishedAt: Date.now() })
        } else {
          const error = Cause.squash(exit.cause)
          const failure = error instanceof JobFailedError
            ? { stage: error.failure.stage, message: error.message }
            : { stage: "start", message: error instanceof Error ? error.message : Cause.pretty(exit.cause).split("\n")[0]! }
          yield* changed(job, { state: "failed", finishedAt: Date.now(), failure })
        }
        yield* save(job)
      })

    yield* Effect.forkScoped(
      Effect.forEach(Array.from({ length: Math.max(1, options.concurrency) }), () =>
        Effect.forever(Effect.flatMap(Queue.take(queue), runQueued)), { concurrency: "unbounded", discard: true })
    )
    yield* Queue.offerAll(queue, resumed)

    const find = (id: string) => {
      const job = jobs.get(id)
      return job === undefined ? Effect.fail(new JobNotFoundError({ id })) : Effect.succeed(job)
    }

    const submit = (request: JobRequest): Effect.Effect<JobSummary, JobRequestError> =>
      Effect.gen(function*() {
        // The job's folder is named by the spec it would make anywhere; the job id then covers its output path too.
        const anywhere = yield* toJobSpec(request, { state, out: join(dirs.outputs, "video.mp4") })
        const key = jobId(anywhere).replace(/^job-/, "")
        const spec: JobSpec = { ...anywhere, output: { ...anywhere.output, path: join(dirs.outputs, key, "video.mp4") } }
        const id = jobId(spec)
        return yield* lock.withPermits(1)(Effect.gen(function*() {
          const known = jobs.get(id)
          // The same request again is the same job; one that failed or was cancelled runs again.
          if (known !== undefined && (known.summary.state !== "failed" && known.summary.state !== "cancelled")) {
            return known.summary
          }
          yield* Effect.promise(() =>
            mkdir(outputDir(spec), { recursive: true })
          )
          yield* Effect.orDie(markPending(state, spec, options.topology))
          const job: Job = {
            summary: {
              id,
              title: scriptTitle(spec.script),
              state: "queued",
              progress: 0,
              submittedAt: Date.now()
            },
            request,
            spec,
            stages: [],
            parts: [],
            report: undefined,
            fiber: undefined,
            render: undefined
          }
          jobs.set(id, job)
          yield* save(job)
          yield* PubSub.publish(changes, job.summary)
          yield* Queue.offer(queue, id)
          return job.summary
        }))
      }).pipe(Effect.withSpan("host.submit"))

    const list: JobHostService["list"] = (page = {}) =>
      Effect.sync(() => {
        const all = [...jobs.values()].map((j) => j.summary).filter((s) => page.state === undefined || s.state === page.state)
          .sort((a, b) => b.submittedAt - a.submittedAt)
        const offset = Math.max(0, page.offset ?? 0)
        return { jobs: all.slice(offset, page.limit === undefined ? undefined : offset + page.limit), total: all.length }
      })

    const get = (id: string) =>
      Effect.map(find(id), (job): JobDetail => ({
        ...job.summary,
        request: job.request,
        stages: job.stages,
        parts: job.parts,
        ...(job.report === undefined ? {} : { report: job.report })
      }))

    /**
     * The job will not run again: its workflow execution is marked cancelled (no stage of it starts
     * from now on: the engine cannot interrupt a running execution), its render is stopped, the
     * execution is interrupted, and the next run of it is a fresh attempt.
     */
    const retire = (job: Job) =>
      Effect.gen(function*() {
        const attempts = join(state, "attempts")
        const current = yield* currentAttempt(attempts, job.spec)
        yield* Effect.provideService(cancelJob(current), SharedMemory, memory).pipe(
          Effect.catchAll((error) => Effect.logWarning(`cannot mark ${job.summary.id} cancelled: ${error.message}`))
        )
        yield* cancelRenders(job)
        if (job.fiber !== undefined) yield* Fiber.interrupt(job.fiber)
        yield* Effect.provideService(ProduceVideo.interrupt(executionId(current)), WorkflowEngine.WorkflowEngine, engine)
        yield* Effect.ignoreLogged(recordFailure(attempts, current))
        yield* Effect.promise(() => rm(jobFile(state, job.summary.id), { force: true }))
      })

    const cancel = (id: string) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const job = yield* find(id)
        const { state: now } = job.summary
        if (isOver(now)) return yield* new JobStateError({ id, state: now, message: `job ${id} is ${now} already` })
        yield* changed(job, { state: "cancelled", finishedAt: Date.now() })
        yield* retire(job)
        yield* save(job)
        return job.summary
      })).pipe(Effect.withSpan("host.cancel"))

    const remove = (id: string) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const job = yield* find(id)
        const { state: now } = job.summary
        if (now === "running") return yield* new JobStateError({ id, state: now, message: `job ${id} is running: cancel it first` })
        // A queued job never starts: the worker that takes it finds it gone.
        if (now === "queued") yield* retire(job)
        jobs.delete(id)
        yield* Effect.promise(() =>
          Promise.all([
            rm(recordFile(state, id), { force: true }),
            rm(jobFile(state, id), { force: true }),
            rm(outputDir(job.spec), { recursive: true, force: true })
          ])
        )
      })).pipe(Effect.withSpan("host.remove"))

    const files = (id: string) =>
      Effect.flatMap(find(id), (job) => {
        const { state: now } = job.summary
        if (now !== "done" || job.report === undefined) {
          return Effect.fail(new JobStateError({ id, state: now, message: `job ${id} is ${now}: its files exist once it is done` }))
        }
        const dir = thumbsDir(job.spec)
        return Effect.succeed({
          video: resolve(job.spec.output.path),
          report: resolve(reportPath(job.spec.output.path)),
          thumbnails: job.report.scenes.map((scene) => resolve(thumbnailFile(dir, scene.index))).filter((file) => existsSync(file))
        })
      })

    return {
      state,
      submit,
      list,
      get,
      cancel,
      remove,
      files,
      changes: Stream.fromPubSub(changes),
      swarm,
      events: eventLog,
      memory
    } satisfies JobHostService
  })

/**
 * The host as a layer: the state directory's lock held, the production layer built over it (one
 * encoder agent per slot), the host on top. Failures to use the state directory are StateDirError.
 */
export const layer = (options: JobHostOptions) =>
  Layer.scoped(
    JobHost,
    Effect.gen(function*() {
      yield* mediaFileSystem.pipe(
        Effect.flatMap((fs) => fs.makeDirectory(options.state, { recursive: true })),
        Effect.mapError(stateDirError(options.state, "write"))
      )
      yield* holdState(options.state, { job: "serve", command: "serve" })
      const production = yield* Layer.build(
        productionLayerFor({ state: options.state, topology: options.topology, encoderSlots: options.encoderSlots })
      )
      return yield* Effect.provide(makeJobHost(options), production)
    }).pipe(stateDatabaseFailures(options.state))
  )
