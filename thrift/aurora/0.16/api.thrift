// Apache Aurora api.thrift for release 0.16.0, written from the schema facts in api-0.16.0.json.

namespace java org.apache.aurora.gen
namespace py gen.apache.aurora.api

/** Type of Response.responseCode. */
enum ResponseCode {
  INVALID_REQUEST = 0,
  OK = 1,
  ERROR = 2,
  WARNING = 3,
  AUTH_FAILED = 4,
  /** Value 5; from release 0.19 on this value is named JOB_UPDATING_ERROR. */
  LOCK_ERROR = 5,
  ERROR_TRANSIENT = 6,
}

/** Identity of an owner. Field id 1 is not used. */
struct Identity {
  2: string user;
}

/** A named attribute with a set of string values. */
struct Attribute {
  1: string name;
  2: set<string> values;
}

/** Maintenance mode of a host, as used by HostAttributes and HostStatus. */
enum MaintenanceMode {
  /** Value 1; this enum has no value 0. */
  NONE = 1,
  SCHEDULED = 2,
  DRAINING = 3,
  DRAINED = 4,
}

/** Attributes of one host. */
struct HostAttributes {
  1: string host;
  2: set<Attribute> attributes;

  /** Optional maintenance mode of the host. */
  3: optional MaintenanceMode mode;
  4: optional string slaveId;
}

/** Value constraint: a set of values, possibly negated. */
struct ValueConstraint {
  1: bool negated;
  2: set<string> values;
}

struct LimitConstraint {
  1: i32 limit;
}

/** A task constraint is either a ValueConstraint or a LimitConstraint. */
union TaskConstraint {
  1: ValueConstraint value;
  2: LimitConstraint limit;
}

/** A named TaskConstraint. */
struct Constraint {
  1: string name;
  2: TaskConstraint constraint;
}

struct Package {
  1: string role;
  2: string name;
  3: i32 version;
}

struct Metadata {
  1: string key;
  2: string value;
}

/** Names a job by role, environment and name. */
struct JobKey {
  1: string role;
  2: string environment;
  3: string name;
}

/** Key of a Lock; its only arm is a JobKey. */
union LockKey {
  1: JobKey job;
}

struct Lock {
  1: LockKey key;
  2: string token;
  3: string user;

  /** Timestamp in milliseconds. */
  4: i64 timestampMs;
  5: optional string message;
}

/** One instance of a job: a JobKey and an instance id. */
struct InstanceKey {
  1: JobKey jobKey;
  2: i32 instanceId;
}

/** A URI value with optional extract and cache settings. */
struct MesosFetcherURI {
  1: string value;
  2: optional bool extract;
  3: optional bool cache;
}

struct ExecutorConfig {
  1: string name;
  2: string data;
}

/** Access mode of a Volume: RW or RO. */
enum Mode {
  RW = 1,
  RO = 2,
}

/** A volume with container and host paths and an access Mode. */
struct Volume {
  1: string containerPath;
  2: string hostPath;
  3: Mode mode;
}

struct DockerImage {
  1: string name;
  2: string tag;
}

struct AppcImage {
  1: string name;
  2: string imageId;
}

/** A container image: Docker or AppC. */
union Image {
  1: DockerImage docker;
  2: AppcImage appc;
}

struct MesosContainer {
  1: optional Image image;
}

struct DockerParameter {
  1: string name;
  2: string value;
}

struct DockerContainer {
  1: string image;

  /** Optional list of DockerParameter. */
  2: optional list<DockerParameter> parameters;
}

/** A container: Mesos or Docker. */
union Container {
  1: MesosContainer mesos;
  2: DockerContainer docker;
}

/** One resource; as a union, exactly one arm is set. */
union Resource {
  1: double numCpus;
  2: i64 ramMb;
  3: i64 diskMb;
  4: string namedPort;
  5: i64 numGpus;
}

/** Configuration of a task. Field ids are not in declaration order. */
struct TaskConfig {
  28: JobKey job;
  17: Identity owner;
  7: bool isService;
  8: double numCpus;
  9: i64 ramMb;
  10: i64 diskMb;
  11: i32 priority;
  13: i32 maxTaskFailures;
  18: optional bool production;
  30: optional string tier;

  /** Resources as a set of Resource unions. */
  32: set<Resource> resources;
  20: set<Constraint> constraints;
  21: set<string> requestedPorts;
  33: optional set<MesosFetcherURI> mesosFetcherUris;
  22: optional map<string, string> taskLinks;
  23: optional string contactEmail;
  25: optional ExecutorConfig executorConfig;
  27: optional set<Metadata> metadata;

  /** Defaults to the mesos arm holding a MesosContainer with no fields set. */
  29: Container container = { "mesos": {} };
}

/** Aggregate of resources. */
struct ResourceAggregate {
  1: double numCpus;
  2: i64 ramMb;
  3: i64 diskMb;
  4: set<Resource> resources;
}

/** Values of JobConfiguration.cronCollisionPolicy. */
enum CronCollisionPolicy {
  KILL_EXISTING = 0,
  CANCEL_NEW = 1,
  RUN_OVERLAP = 2,
}

/** A job: key, owner, cron settings, task config and instance count. */
struct JobConfiguration {
  9: JobKey key;
  7: Identity owner;

  /** Cron schedule string. Optional since 0.16. */
  4: optional string cronSchedule;
  5: CronCollisionPolicy cronCollisionPolicy;
  6: TaskConfig taskConfig;
  8: i32 instanceCount;
}

struct JobStats {
  1: i32 activeTaskCount;
  2: i32 finishedTaskCount;
  3: i32 failedTaskCount;
  4: i32 pendingTaskCount;
}

/** A JobConfiguration with its JobStats. */
struct JobSummary {
  1: JobConfiguration job;
  2: JobStats stats;
  3: optional i64 nextCronRunMs;
}

/** A range of i32 values from first to last. */
struct Range {
  1: i32 first;
  2: i32 last;
}

/** A TaskConfig and the instance Ranges that share it. Field id 2 is not used. */
struct ConfigGroup {
  1: TaskConfig config;
  3: set<Range> instances;
}

struct ConfigSummary {
  1: JobKey key;
  2: set<ConfigGroup> groups;
}

struct PopulateJobResult {
  2: TaskConfig taskConfig;
}

/** Quota plus optional consumption aggregates. */
struct GetQuotaResult {
  1: ResourceAggregate quota;
  2: optional ResourceAggregate prodSharedConsumption;
  3: optional ResourceAggregate nonProdSharedConsumption;
  4: optional ResourceAggregate prodDedicatedConsumption;
  5: optional ResourceAggregate nonProdDedicatedConsumption;
}

/** States of a task. Values 8, 10, 14 and 15 are not assigned. */
enum ScheduleStatus {
  /** Member of ACTIVE_STATES. */
  PENDING = 0,
  STARTING = 1,
  RUNNING = 2,
  FINISHED = 3,
  FAILED = 4,
  KILLED = 5,
  KILLING = 6,
  LOST = 7,
  ASSIGNED = 9,
  INIT = 11,
  RESTARTING = 12,
  PREEMPTING = 13,
  THROTTLED = 16,
  DRAINING = 17,
}

struct TaskEvent {
  1: i64 timestamp;
  2: ScheduleStatus status;
  3: optional string message;
  4: optional string scheduler;
}

/** A TaskConfig with its task id, slave id and host, assigned ports and instance id. */
struct AssignedTask {
  1: string taskId;
  2: string slaveId;
  3: string slaveHost;
  4: TaskConfig task;
  5: map<string, i32> assignedPorts;
  6: i32 instanceId;
}

/** An AssignedTask with its status and event history. */
struct ScheduledTask {
  1: AssignedTask assignedTask;
  2: ScheduleStatus status;
  3: i32 failureCount;

  /** A list of TaskEvent. */
  4: list<TaskEvent> taskEvents;
  5: string ancestorId;
}

struct ScheduleStatusResult {
  1: list<ScheduledTask> tasks;
}

struct GetJobsResult {
  1: set<JobConfiguration> configs;
}

/** Filter for task queries. */
struct TaskQuery {
  /** Field id 14, declared first. */
  14: string role;
  9: string environment;
  2: string jobName;
  4: set<string> taskIds;
  5: set<ScheduleStatus> statuses;
  7: set<i32> instanceIds;
  10: set<string> slaveHosts;
  11: set<JobKey> jobKeys;
  12: i32 offset;
  13: i32 limit;
}

struct HostStatus {
  1: string host;
  2: MaintenanceMode mode;
}

struct RoleSummary {
  1: string role;
  2: i32 jobCount;
  3: i32 cronJobCount;
}

struct Hosts {
  1: set<string> hostNames;
}

/** A task id with a reason string. */
struct PendingReason {
  1: string taskId;
  2: string reason;
}

/** Names one update of a job. */
struct JobUpdateKey {
  1: JobKey job;
  2: string id;
}

/** Settings of a job update. Field id 4 is not used. */
struct JobUpdateSettings {
  1: i32 updateGroupSize;
  2: i32 maxPerInstanceFailures;
  3: i32 maxFailedInstances;
  5: i32 minWaitInInstanceRunningMs;
  6: bool rollbackOnFailure;
  7: set<Range> updateOnlyTheseInstances;
  8: bool waitForBatchCompletion;

  /** Optional; in milliseconds. */
  9: optional i32 blockIfNoPulsesAfterMs;
}

/** States of a job update, as used by JobUpdateEvent and JobUpdateState. */
enum JobUpdateStatus {
  ROLLING_FORWARD = 0,
  ROLLING_BACK = 1,
  ROLL_FORWARD_PAUSED = 2,
  ROLL_BACK_PAUSED = 3,
  ROLLED_FORWARD = 4,
  ROLLED_BACK = 5,
  ABORTED = 6,
  ERROR = 7,
  FAILED = 8,
  /** Member of ACTIVE_JOB_UPDATE_STATES. */
  ROLL_FORWARD_AWAITING_PULSE = 9,
  ROLL_BACK_AWAITING_PULSE = 10,
}

struct JobUpdateEvent {
  1: JobUpdateStatus status;
  2: i64 timestampMs;
  3: optional string user;
  4: optional string message;
}

/** Per-instance action recorded in a JobInstanceUpdateEvent. */
enum JobUpdateAction {
  INSTANCE_UPDATED = 1,
  INSTANCE_ROLLED_BACK = 2,
  INSTANCE_UPDATING = 3,
  INSTANCE_ROLLING_BACK = 4,
  INSTANCE_UPDATE_FAILED = 5,
  INSTANCE_ROLLBACK_FAILED = 6,
}

struct JobInstanceUpdateEvent {
  1: i32 instanceId;
  2: i64 timestampMs;
  3: JobUpdateAction action;
}

struct InstanceTaskConfig {
  1: TaskConfig task;
  2: set<Range> instances;
}

struct JobUpdateState {
  1: JobUpdateStatus status;
  2: i64 createdTimestampMs;
  3: i64 lastModifiedTimestampMs;
}

/** Key, user and state of a job update. Field ids 1 and 2 are not used. */
struct JobUpdateSummary {
  5: JobUpdateKey key;
  3: string user;
  4: JobUpdateState state;
  6: optional set<Metadata> metadata;
}

struct JobUpdateInstructions {
  1: set<InstanceTaskConfig> initialState;
  2: InstanceTaskConfig desiredState;
  3: JobUpdateSettings settings;
}

/** A job update: its summary and instructions. */
struct JobUpdate {
  1: JobUpdateSummary summary;
  2: JobUpdateInstructions instructions;
}

struct JobUpdateDetails {
  1: JobUpdate update;
  2: list<JobUpdateEvent> updateEvents;
  3: list<JobInstanceUpdateEvent> instanceEvents;
}

/** Argument of startJobUpdate and getJobUpdateDiff. */
struct JobUpdateRequest {
  1: TaskConfig taskConfig;
  2: i32 instanceCount;
  3: JobUpdateSettings settings;
  4: optional set<Metadata> metadata;
}

/** Filter for job update queries. Field id 1 is not used. */
struct JobUpdateQuery {
  2: string role;
  8: JobUpdateKey key;
  3: JobKey jobKey;
  4: string user;
  5: set<JobUpdateStatus> updateStatuses;
  6: i32 offset;
  7: i32 limit;
}

struct ListBackupsResult {
  1: set<string> backups;
}

struct StartMaintenanceResult {
  1: set<HostStatus> statuses;
}

struct DrainHostsResult {
  1: set<HostStatus> statuses;
}

struct QueryRecoveryResult {
  1: set<ScheduledTask> tasks;
}

struct MaintenanceStatusResult {
  1: set<HostStatus> statuses;
}

struct EndMaintenanceResult {
  1: set<HostStatus> statuses;
}

struct RoleSummaryResult {
  1: set<RoleSummary> summaries;
}

struct JobSummaryResult {
  1: set<JobSummary> summaries;
}

struct ConfigSummaryResult {
  1: ConfigSummary summary;
}

struct GetPendingReasonResult {
  1: set<PendingReason> reasons;
}

struct StartJobUpdateResult {
  1: JobUpdateKey key;
  2: optional JobUpdateSummary updateSummary;
}

struct GetJobUpdateSummariesResult {
  1: list<JobUpdateSummary> updateSummaries;
}

struct GetJobUpdateDetailsResult {
  1: JobUpdateDetails details;
  2: list<JobUpdateDetails> detailsList;
}

/** Status carried by PulseJobUpdateResult. */
enum JobUpdatePulseStatus {
  OK = 1,
  FINISHED = 2,
}

struct PulseJobUpdateResult {
  1: JobUpdatePulseStatus status;
}

/** Four sets of ConfigGroup: add, remove, update and unchanged. */
struct GetJobUpdateDiffResult {
  1: set<ConfigGroup> add;
  2: set<ConfigGroup> remove;
  3: set<ConfigGroup> update;
  4: set<ConfigGroup> unchanged;
}

struct TierConfig {
  1: string name;
  2: map<string, string> settings;
}

struct GetTierConfigResult {
  1: string defaultTierName;
  2: set<TierConfig> tiers;
}

/** Information about the server. Field id 2 is not used. */
struct ServerInfo {
  1: string clusterName;
  3: string statsUrlPrefix;
}

/** Union of the result payloads that a Response can carry. */
union Result {
  /** Field id 2 is not used; this arm has id 1. */
  1: PopulateJobResult populateJobResult;
  3: ScheduleStatusResult scheduleStatusResult;
  4: GetJobsResult getJobsResult;
  5: GetQuotaResult getQuotaResult;
  6: ListBackupsResult listBackupsResult;
  7: StartMaintenanceResult startMaintenanceResult;
  8: DrainHostsResult drainHostsResult;
  9: QueryRecoveryResult queryRecoveryResult;
  10: MaintenanceStatusResult maintenanceStatusResult;
  11: EndMaintenanceResult endMaintenanceResult;
  17: RoleSummaryResult roleSummaryResult;
  18: JobSummaryResult jobSummaryResult;
  20: ConfigSummaryResult configSummaryResult;
  21: GetPendingReasonResult getPendingReasonResult;
  22: StartJobUpdateResult startJobUpdateResult;
  23: GetJobUpdateSummariesResult getJobUpdateSummariesResult;
  24: GetJobUpdateDetailsResult getJobUpdateDetailsResult;
  25: PulseJobUpdateResult pulseJobUpdateResult;
  26: GetJobUpdateDiffResult getJobUpdateDiffResult;
  27: GetTierConfigResult getTierConfigResult;
}

struct ResponseDetail {
  1: string message;
}

/** Returned by every service method. */
struct Response {
  1: ResponseCode responseCode;
  5: ServerInfo serverInfo;

  /** Optional; one arm of the Result union. */
  3: optional Result result;
  6: list<ResponseDetail> details;
}

struct InstanceConfigRewrite {
  1: InstanceKey instanceKey;
  2: TaskConfig oldTask;
  3: TaskConfig rewrittenTask;
}

struct JobConfigRewrite {
  1: JobConfiguration oldJob;
  2: JobConfiguration rewrittenJob;
}

/** Either a job rewrite or an instance rewrite. */
union ConfigRewrite {
  1: JobConfigRewrite jobRewrite;
  2: InstanceConfigRewrite instanceRewrite;
}

/** Argument of rewriteConfigs. */
struct RewriteConfigsRequest {
  1: list<ConfigRewrite> rewriteCommands;
}

/** Argument of triggerExplicitTaskReconciliation. */
struct ExplicitReconciliationSettings {
  1: optional i32 batchSize;
}

# Constants.

/** Executor name string. */
const string AURORA_EXECUTOR_NAME = "AuroraExecutor"

/** A set of ScheduleStatus values. */
const set<ScheduleStatus> ACTIVE_STATES = [
  ScheduleStatus.PENDING,
  ScheduleStatus.STARTING,
  ScheduleStatus.RUNNING,
  ScheduleStatus.KILLING,
  ScheduleStatus.ASSIGNED,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.THROTTLED,
  ScheduleStatus.DRAINING
]

const set<ScheduleStatus> SLAVE_ASSIGNED_STATES = [
  ScheduleStatus.STARTING,
  ScheduleStatus.RUNNING,
  ScheduleStatus.KILLING,
  ScheduleStatus.ASSIGNED,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.DRAINING
]

const set<ScheduleStatus> LIVE_STATES = [
  ScheduleStatus.RUNNING,
  ScheduleStatus.KILLING,
  ScheduleStatus.RESTARTING,
  ScheduleStatus.PREEMPTING,
  ScheduleStatus.DRAINING
]

/** FINISHED, FAILED, KILLED and LOST. */
const set<ScheduleStatus> TERMINAL_STATES = [
  ScheduleStatus.FINISHED,
  ScheduleStatus.FAILED,
  ScheduleStatus.KILLED,
  ScheduleStatus.LOST
]

/** Identifier pattern; the _JVM and _PYTHON variants below hold the same string. */
const string GOOD_IDENTIFIER_PATTERN = "^[\\w\\-\\.]+$"

const string GOOD_IDENTIFIER_PATTERN_JVM = "^[\\w\\-\\.]+$"

const string GOOD_IDENTIFIER_PATTERN_PYTHON = "^[\\w\\-\\.]+$"

/** A set of JobUpdateStatus values. */
const set<JobUpdateStatus> ACTIVE_JOB_UPDATE_STATES = [
  JobUpdateStatus.ROLLING_FORWARD,
  JobUpdateStatus.ROLLING_BACK,
  JobUpdateStatus.ROLL_FORWARD_PAUSED,
  JobUpdateStatus.ROLL_BACK_PAUSED,
  JobUpdateStatus.ROLL_FORWARD_AWAITING_PULSE,
  JobUpdateStatus.ROLL_BACK_AWAITING_PULSE
]

/** Header name string. */
const string BYPASS_LEADER_REDIRECT_HEADER_NAME = "Bypass-Leader-Redirect"

/** Mount point name string. */
const string TASK_FILESYSTEM_MOUNT_POINT = "taskfs"

// Services.

/** Read-only scheduler methods. Every method returns a Response. */
service ReadOnlyScheduler {
  /** Takes no arguments. */
  Response getRoleSummary();

  Response getJobSummary(1: string role);

  Response getTasksStatus(1: TaskQuery query);

  Response getTasksWithoutConfigs(1: TaskQuery query);

  Response getPendingReason(1: TaskQuery query);

  Response getConfigSummary(1: JobKey job);

  Response getJobs(1: string ownerRole);

  Response getQuota(1: string ownerRole);

  Response populateJobConfig(1: JobConfiguration description);

  Response getJobUpdateSummaries(1: JobUpdateQuery jobUpdateQuery);

  /** Takes a JobUpdateKey and a JobUpdateQuery. */
  Response getJobUpdateDetails(1: JobUpdateKey key, 2: JobUpdateQuery query);

  Response getJobUpdateDiff(1: JobUpdateRequest request);

  Response getTierConfigs();
}

/** Extends ReadOnlyScheduler with job and job update methods. */
service AuroraSchedulerManager extends ReadOnlyScheduler {
  Response createJob(1: JobConfiguration description);

  Response scheduleCronJob(1: JobConfiguration description);

  /** The job argument has field id 4. */
  Response descheduleCronJob(4: JobKey job);

  Response startCronJob(4: JobKey job);

  /** Argument ids are 3 and 5. */
  Response restartShards(3: set<i32> shardIds, 5: JobKey job);

  Response killTasks(4: JobKey job, 5: set<i32> instances);

  Response addInstances(3: InstanceKey key, 4: i32 count);

  Response replaceCronTemplate(1: JobConfiguration config);

  /** Argument ids are 1 and 3. */
  Response startJobUpdate(1: JobUpdateRequest request, 3: string message);

  Response pauseJobUpdate(1: JobUpdateKey key, 3: string message);

  Response resumeJobUpdate(1: JobUpdateKey key, 3: string message);

  Response abortJobUpdate(1: JobUpdateKey key, 3: string message);

  /** Added in release 0.16. */
  Response rollbackJobUpdate(1: JobUpdateKey key, 2: string message);

  Response pulseJobUpdate(1: JobUpdateKey key);
}

/** Extends AuroraSchedulerManager with quota, backup, recovery and maintenance methods. */
service AuroraAdmin extends AuroraSchedulerManager {
  /** Takes an owner role and a ResourceAggregate quota. */
  Response setQuota(1: string ownerRole, 2: ResourceAggregate quota);

  Response forceTaskState(1: string taskId, 2: ScheduleStatus status);

  Response performBackup();

  Response listBackups();

  Response stageRecovery(1: string backupId);

  Response queryRecovery(1: TaskQuery query);

  Response deleteRecoveryTasks(1: TaskQuery query);

  Response commitRecovery();

  Response unloadRecovery();

  Response startMaintenance(1: Hosts hosts);

  Response drainHosts(1: Hosts hosts);

  Response maintenanceStatus(1: Hosts hosts);

  Response endMaintenance(1: Hosts hosts);

  /** Takes no arguments. */
  Response snapshot();

  Response rewriteConfigs(1: RewriteConfigsRequest request);

  Response triggerExplicitTaskReconciliation(1: ExplicitReconciliationSettings settings);

  Response triggerImplicitTaskReconciliation();
}
