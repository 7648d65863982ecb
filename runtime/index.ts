/** The public surface of reelswarm's actor runtime. */
export {
  type AgentContext,
  AgentCrashedError,
  type AgentDefinition,
  AgentNotFoundError,
  type AgentRef,
  type AskError,
  type AskOptions,
  AskTimeoutError,
  type DeadLetterReason,
  DEFAULT_ASK_TIMEOUT,
  define,
  type ExitReason,
  type Failure,
  type Request,
  type RestartType,
  type Shutdown,
  SpawnError,
  type SpawnOptions,
  type Success,
  Terminated,
  type TimerSchedule,
  UndeliveredError
} from "./agent.ts"
export { type Codec, CodecError, decodeFrame, encodeFrame, makeCodec, type PayloadCodec, payloadCodec, roundTrip } from "./codec.ts"
export { type Envelope, isReply, makeEnvelope, OUTSIDE, REPLY_FAILURE, REPLY_SUCCESS } from "./envelope.ts"
export {
  DeadLetterEvent,
  DEFAULT_SUBSCRIBER_BUFFER,
  EscalatedEvent,
  type EventKind,
  eventKind,
  type EventOrigin,
  EVENTS_DROPPED,
  type EventSchema,
  EventsDroppedEvent,
  HeartbeatEvent,
  layerInMemory as swarmEventsLayerInMemory,
  LifecycleEvent,
  type LifecycleEventType,
  makeInMemory as makeInMemoryEvents,
  RestartedEvent,
  RestartFailedEvent,
  SpawnedEvent,
  StoppedEvent,
  type SwarmEvent,
  type SwarmEventInput,
  SwarmEvents,
  type SwarmEventsService,
  type TypedEventInput
} from "./events.ts"
export { DEFAULT_MAILBOX_CAPACITY, Mailbox, type MailboxOptions, type OverflowPolicy } from "./mailbox.ts"
export {
  type AsyncAgentContext,
  createSwarm,
  type CreateSwarmOptions,
  defineAsync,
  type PromiseAgentRef,
  type PromiseAskOptions,
  type SwarmHandle
} from "./promise.ts"
export {
  child,
  type ChildCounts,
  ChildError,
  type ChildInfo,
  type ChildSpec,
  pool,
  type Strategy,
  supervisor,
  SupervisorEscalation,
  type SupervisorOptions,
  type SupervisorRef,
  type SupervisorSpec
} from "./supervisor.ts"
export {
  type AgentInfo,
  layer as swarmLayer,
  layerInMemory as swarmLayerInMemory,
  make as makeSwarm,
  SupervisorNotFoundError,
  Swarm,
  type SwarmOptions,
  type SwarmService,
  SwarmStoppedError
} from "./swarm.ts"
export { type Delivery, direct, type Link, type LinkTraffic, type Router, type Topology } from "./topology.ts"
