/** The video swarm: its five agents, their protocols, and the durable production workflow. */
export { AGENT_NAMES, encoderName } from "./agent-names.ts"
export { ANALYZER_POOL, analyzerAgent } from "./analyzer/agent.ts"
export {
  ANALYSES_FOLDER,
  analysesDir,
  analysisKey,
  analysisReportFile,
  type CachedAnalysis,
  readCachedAnalysis,
  thumbnailName,
  thumbnailsDir,
  writeCachedAnalysis
} from "./analyzer/analysis-cache.ts"
export { analyzeFiles, type AnalyzeFilesOptions } from "./analyzer/analysis-job.ts"
export { type AnalysisPool, makeAnalysisPool } from "./analyzer/analysis-pool.ts"
export { AnalyzeAudio, AnalyzerProtocol, AnalyzeVideoRange, ReadText } from "./analyzer/protocol.ts"
export { analysisPage, type PageEntry, readThumbnails } from "./analyzer/report-html.ts"
export { directorAgent, type DirectorOptions } from "./director/agent.ts"
export { BUNDLED_SCRIPT, BUNDLED_SCRIPT_TITLE } from "./director/bundled-script.ts"
export { type CutOptions, cutScene, cutScenes, type TimedWord } from "./director/cuts.ts"
export { measuredSentenceDurations, TimingMismatchError } from "./director/measured.ts"
export { SHOT_LENGTHS, type ShotLength } from "./director/mood.ts"
export { DirectorProtocol, PlanScript, Replan, WriteScriptForTopic } from "./director/protocol.ts"
export { Mood, Pace, Scene, ScriptPlan, ScriptSentence, ShotSpan } from "./director/scene.ts"
export {
  checkScriptLength,
  MAX_SCRIPT_WORDS,
  planScenes,
  planScript,
  planScriptText,
  replanScenes,
  type ScenePlanOptions,
  ScriptPlanError,
  ScriptTooLongError
} from "./director/script.ts"
export { splitSentences } from "./director/sentences.ts"
export {
  ClaudeRequestError,
  DEFAULT_CLAUDE_MODEL,
  InvalidScriptOutputError,
  layer as topicWriterLayer,
  layerConfig as topicWriterLayerConfig,
  MissingApiKeyError,
  TopicWriter,
  type TopicWriterConfig
} from "./director/topic.ts"
export { encoderAgent, type EncoderAgentOptions, LEASE_RENEW_INTERVAL } from "./encoder/agent.ts"
export { EncodeProgressEvent } from "./encoder/events.ts"
export { monitorAgent, type MonitorOptions } from "./monitor/agent.ts"
export { AgentAliveEvent, AgentStaleEvent, MetricsEvent } from "./monitor/events.ts"
export { HEARTBEAT_INTERVAL, startHeartbeat } from "./monitor/heartbeat.ts"
export { GetHealth, Heartbeat, MonitorProtocol, SampleNow } from "./monitor/protocol.ts"
export { GpuSample, layer as systemSamplerLayer, MetricsSample, SystemSampler } from "./monitor/sample.ts"
export { ARTIFACT_USES_NAMESPACE, ArtifactUse, artifactUseKey, recordArtifactUse } from "./production/artifact-uses.ts"
export { currentAttempt, recordFailure, withAttempts } from "./production/attempts.ts"
export { cancelJob, CANCELLATION_NAMESPACE, isCancelled } from "./production/cancellation.ts"
export { type DemoOptions, demoSpec } from "./production/demo.ts"
export { productionLayer, type ProductionOptions } from "./production/environment.ts"
export {
  decodeVideoSwarmEvent,
  FootageWarningEvent,
  JobEtaEvent,
  StageFailedEvent,
  StageFinishedEvent,
  StageSkippedEvent,
  StageStartedEvent,
  VideoSwarmEvent
} from "./production/events.ts"
export {
  executionId,
  FootageSource,
  JobCancelledError,
  JobEta,
  jobId,
  JobReport,
  JobSpec,
  ProductionError,
  ScriptSource,
  scriptTitle,
  SkippedInput,
  StageCause,
  StageName,
  validateJobSpec
} from "./production/job.ts"
export { QcCheck, QcFailedError, QcResult } from "./production/qc-result.ts"
export { plannedStills, qcChecks, type QcExpectations, runQc } from "./production/qc.ts"
export { layer as videoSwarmLayer, type TopologyChoice, topologyFor, VideoSwarm } from "./production/video-swarm.ts"
export { ProduceVideo, ProduceVideoLive, reportPath } from "./production/workflow.ts"
export { ETA_INTERVAL, LEASE_TTL, rendererAgent, type RendererOptions } from "./renderer/agent.ts"
export { type BreakerSettings, makeDeviceBreakers } from "./renderer/breaker.ts"
export {
  CAPACITY_NAMESPACE,
  CAPACITY_SMOOTHING,
  capacityKey,
  CapacityRecord,
  etaSeconds,
  pickFor,
  readCapacities,
  readEncoderCapacities
} from "./renderer/capacity.ts"
export {
  AUDIO_MIX_SECONDS_PER_SECOND,
  DEFAULT_PIXELS_PER_SECOND,
  defaultFramesPerSecond,
  type EstimateOptions,
  estimateRender,
  type EstimateRequest,
  estimateSeconds,
  EstimateSource,
  RENDER_START_SECONDS,
  RenderEstimate
} from "./renderer/estimate.ts"
export {
  DeviceBreakerClosedEvent,
  DeviceBreakerOpenedEvent,
  DeviceBreakerTrialEvent,
  EncodeRetryEvent,
  LeaseExpiredEvent,
  PartEncodedEvent,
  RenderCancelledEvent,
  RenderEtaEvent,
  RenderFailedEvent,
  RenderFinishedEvent,
  RenderReusedEvent,
  RenderStartedEvent,
  WorkIgnoredEvent,
  WorkRequeuedEvent
} from "./renderer/events.ts"
export { contentKey, fileStamp, isFinished, readPlan, writeAtomically } from "./renderer/plan-file.ts"
export {
  AbortWork,
  CancelRender,
  DrainDied,
  EncoderProtocol,
  EncoderReady,
  Narrate,
  PlanRender,
  PullWork,
  Render,
  type RendererMessage,
  RendererProtocol,
  RenewLease,
  WorkDone,
  WorkFailed
} from "./renderer/protocol.ts"
export {
  CaptionLook,
  CaptionsChoice,
  EncodeCause,
  EncodedPart,
  EncodeFailedError,
  EncodeStalledError,
  LeaseLostError,
  OutputSettings,
  RenderCause,
  RenderError,
  RenderResult,
  RenderSummary,
  WorkItem
} from "./renderer/render-data.ts"
export { shotMatcherAgent } from "./shot-matcher/agent.ts"
export { ShotPickedEvent } from "./shot-matcher/events.ts"
export { type MatchOptions, matchShots, NoFootageError, rankShots } from "./shot-matcher/match.ts"
export { MatchShots, ShotMatcherProtocol } from "./shot-matcher/protocol.ts"
export { Clip, clipOfFootage, ShotPick } from "./shot-matcher/shot.ts"
