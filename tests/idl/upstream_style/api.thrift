/*
 * Licensed to the Example Foundation under one or more contributor license
 * agreements. This file is a test fixture of aurorakit: a made-up scheduler
 * API written in the layout of a long-lived upstream IDL, so the generator
 * meets what such files contain (this header, doc comments, line comments of
 * both kinds, retired fields, mixed separators, constants built from enums).
 *
 * Unless required by applicable law or agreed to in writing, this file is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
 * KIND, either express or implied.
 */

namespace java org.example.fleet.gen
namespace py gen.example.fleet.api

// Thrift interface version. Bump on incompatible changes.
const string API_VERSION = "3.1"

/** How a call went. */
enum ReplyCode {
  INVALID = 0,
  OK      = 1,
  ERROR   = 2,
  /** The caller must retry: another call holds the lock. */
  BUSY    = 5,  // 3 and 4 were retired
}

/** Where a task is in its life. */
enum TaskState {
  /** Waiting for a machine. */
  QUEUED = 0
  STARTING = 1
  RUNNING = 2
  /** Ended by itself with exit status 0. */
  DONE = 3
  FAILED = 4
  /** Stopped on request. */
  STOPPED = 5
  LOST = 6
}

# Hash-style comments are allowed too.

/** Names a job: who owns it, where it runs, what it is called. */
struct JobRef {
  1: string owner
  /** Deployment stage, e.g. "prod" or "test". */
  2: string stage
  3: string name
}

/** A container image to run. */
struct ImageRef {
  1: string registry;
  2: string repository;
  3: string tag;
}

/** Run the task straight on the host. */
struct HostRuntime {}

/** Run the task in a container built from an image. */
struct ContainerRuntime {
  1: ImageRef image
  /** Extra arguments for the container runtime. */
  2: list<string> flags = []
}

/** How a task is isolated. Exactly one arm is set. */
union Runtime {
  1: HostRuntime host
  2: ContainerRuntime container
}

/** One resource a task asks for. */
union Need {
  1: double cpus
  2: i64 memMb
  3: i64 diskMb
  /** A named port to allocate. */
  4: string port
}

/** What to run, and how. */
struct TaskSpec {
  /** The job this task belongs to. */
  1: JobRef job
  // 2: string owner  -- retired: the owner is in job.owner now.
  3: bool longRunning
  /** Scheduling priority; larger runs first. */
  4: i32 priority = 0
  5: i32 maxRestarts = 1
  /** DEPRECATED: use `needs`. Kept so old clients can still read it. */
  6: optional double cpus
  7: set<Need> needs
  8: optional map<string, string> labels
  /** How the task is isolated. Host runtime unless given. */
  9: Runtime runtime = { "host": {} }
  10: optional string tier;
}

/** A change of state, as recorded. */
struct StateChange {
  1: i64 atMs
  2: TaskState state
  3: optional string reason
  /** Which scheduler instance recorded it. */
  4: optional string recordedBy
}

/** One running (or finished) task of a job. */
struct Task {
  1: string id
  2: TaskSpec spec
  3: i32 slot
  4: TaskState state = TaskState.QUEUED
  /** Most recent last. */
  5: list<StateChange> history
  6: map<string, i32> ports
}

/** Select tasks; unset fields match anything. */
struct TaskFilter {
  1: optional JobRef job
  2: optional set<TaskState> states
  3: optional set<i32> slots
  4: i32 limit
}

/** Raised when a job does not exist. */
exception UnknownJob {
  1: JobRef job
  2: string message
}

/** The reply to every call. */
struct Reply {
  1: ReplyCode code
  2: optional list<Task> tasks
  /** Human readable notes; never parse them. */
  3: list<string> notes
}

/** States in which a task holds resources. */
const set<TaskState> ACTIVE = [
  TaskState.QUEUED,
  TaskState.STARTING,
  TaskState.RUNNING
]

/** States a task never leaves. */
const set<TaskState> FINAL = [TaskState.DONE, TaskState.FAILED, TaskState.STOPPED, TaskState.LOST]

const TaskState INITIAL_STATE = TaskState.QUEUED

/** Labels every task gets unless it sets them. */
const map<string, string> DEFAULT_LABELS = {
  "team": "unknown",
  "tier": "batch",
}

const list<i32> RETRY_DELAYS_MS = [100, 1000, 10000]

/** Reads only. */
service ReadOnlyFleet {
  /** Tasks matching the filter. */
  Reply listTasks(1: TaskFilter filter)

  /** The versions this scheduler speaks. */
  Reply version()
}

/** Changes jobs. Needs the owner's credentials. */
service FleetWriter extends ReadOnlyFleet {
  /** Start `count` tasks from a spec. */
  Reply start(1: TaskSpec spec, 2: i32 count) throws (1: UnknownJob unknown)

  // stop() used to take a list of ids; ids 1 and 2 are retired.
  Reply stop(3: JobRef job, 4: set<i32> slots, 5: string reason)

  /** Fire and forget: ask the scheduler to look at a job soon. */
  oneway void poke(1: JobRef job)
}

/** Operator-only calls. */
service FleetAdmin extends FleetWriter {
  Reply drain(1: set<string> hosts, 2: i64 deadlineMs)
}
