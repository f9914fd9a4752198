using Gitfleet.Core.Rollouts;
using Gitfleet.Storage.Model;

namespace Gitfleet.Storage;

/// <summary>
/// The server's store. One implementation per database engine (SQLite now, PostgreSQL later); the server never
/// sees SQL or JSON: the contract takes and returns records, dictionaries and lists, and how they are stored
/// (JSON text in SQLite, jsonb in PostgreSQL) stays inside the engine. Every method that changes several rows runs in one transaction, so a failure stores nothing.
/// Methods that stream (<c>IAsyncEnumerable</c>) run one query per call, for bulk views such as the facts endpoint.
/// </summary>
public interface IFleetStore : IDeviceStore, IUserStore, IArtifactStore, IDeploymentStore, IConfigurationStore, IReconcileStore, IDeltaStore, IAsyncDisposable
{
    /// <summary>Creates or upgrades the schema to the newest version; returns the version now in place.</summary>
    Task<int> MigrateAsync(CancellationToken cancellationToken);
}

public interface IDeviceStore
{
    Task<DeviceRecord?> GetDeviceAsync(string id, CancellationToken cancellationToken);

    Task<Page<DeviceRecord>> ListDevicesAsync(DeviceQuery query, CancellationToken cancellationToken);

    Task<long> CountDevicesAsync(AuthStatus? status, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<AuthStatus, long>> CountDevicesByStatusAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<AuthSetRecord>> GetAuthSetsAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);

    /// <summary>
    /// Records an auth request (a group-committed write): an unknown identity becomes a pending device with a
    /// pending auth set; a known identity with a new key gets a new pending auth set; a preauthorized pair is
    /// accepted (the device's other accepted keys are rejected); any other known pair is returned as it is.
    /// The store keys identities by <see cref="Gitfleet.Core.Facts.DeviceIdentity.Key"/>.
    /// </summary>
    Task<AuthRequestOutcome> RecordAuthRequestAsync(string deviceId, string authSetId, IReadOnlyDictionary<string, string> identity, string publicKey, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The device with this identity and its auth set with this key (a read); null when the identity is unknown.</summary>
    Task<AuthSetLookup?> FindAuthSetAsync(IReadOnlyDictionary<string, string> identity, string publicKey, CancellationToken cancellationToken);

    /// <summary>Every accepted device's identity key and accepted key (a server answering known devices' auth requests from memory loads them at start).</summary>
    IAsyncEnumerable<AcceptedKeyRow> StreamAcceptedKeysAsync(CancellationToken cancellationToken);

    /// <summary>The devices whose canonical identity key (<see cref="Gitfleet.Core.Facts.DeviceIdentity.Key"/>) is one of <paramref name="identityKeys"/>.</summary>
    Task<IReadOnlyList<DeviceRecord>> FindByIdentityKeysAsync(IReadOnlyCollection<string> identityKeys, CancellationToken cancellationToken);

    /// <summary>Creates a preauthorized device with one preauthorized auth set; null when the identity exists.</summary>
    Task<DeviceRecord?> PreauthorizeAsync(string deviceId, string authSetId, IReadOnlyDictionary<string, string> identity, string publicKey, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Sets one auth set's status (accepting one rejects the device's other accepted sets) and recomputes the
    /// device status. Returns the device after the change, or null when the device or auth set is unknown.
    /// </summary>
    Task<DeviceRecord?> SetAuthSetStatusAsync(string deviceId, string authSetId, AuthStatus status, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes one auth set; the device goes when it was its last one. Returns the device's new status (null = gone), or false when unknown.</summary>
    Task<(bool Found, DeviceRecord? Device)> DeleteAuthSetAsync(string deviceId, string authSetId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Removes the device, its auth sets, inventory and configuration; its unfinished deployments become decommissioned.</summary>
    Task<bool> DecommissionDeviceAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every device's status and last check-in (for the in-memory registry at start).</summary>
    IAsyncEnumerable<DeviceStatusRow> StreamDeviceStatusesAsync(CancellationToken cancellationToken);

    /// <summary>Every device (for the facts view), in id order.</summary>
    IAsyncEnumerable<DeviceRecord> StreamDevicesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every device's facts, as the facts document holds them (docs/facts.md), in id order, a page of devices at a
    /// time: four range queries per page (devices, attributes, configurations, unfinished deployments), maps that
    /// repeat shared. The facts endpoint streams the pages; the git watcher plans against all of them.
    /// </summary>
    /// <param name="lastCheckIn">Fresher check-in times than the store's (the server keeps them in memory).</param>
    /// <param name="withConfigured">Include the configured maps (the endpoint does; planning never reads them).</param>
    IAsyncEnumerable<IReadOnlyList<Gitfleet.Core.Facts.DeviceFacts>> StreamFactsAsync(Func<string, DateTimeOffset?>? lastCheckIn, bool withConfigured, CancellationToken cancellationToken);

    /// <summary>
    /// Every device's facts as <see cref="StreamFactsAsync(Func{string, DateTimeOffset?}?, bool, CancellationToken)"/>
    /// has them, with only what <paramref name="projection"/> keeps (a plan reads a few inventory and identity
    /// attributes of the twenty-odd a device reports, and no configured maps): the rows left out are not read.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<Gitfleet.Core.Facts.DeviceFacts>> StreamFactsAsync(Func<string, DateTimeOffset?>? lastCheckIn, Gitfleet.Core.Facts.FactsProjection projection, CancellationToken cancellationToken);

    /// <summary>Writes last check-in times in one transaction.</summary>
    Task SaveCheckInsAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> checkIns, CancellationToken cancellationToken);

    /// <summary>
    /// PUT (replace = true) or PATCH the device-reported inventory: each attribute's values (several for a list
    /// or a repeated name); device_type and artifact_name are mirrored on the device. A PUT of the inventory
    /// stored already writes nothing. Group-committed. False when the device is unknown.
    /// </summary>
    Task<bool> SaveInventoryAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, bool replace, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// A PUT of an inventory the caller knows differs from the stored one (it holds the stored inventory's digest
    /// in memory, and this one's differs): written without reading the stored digest first. <paramref name="digest"/>
    /// is the attributes' <see cref="Gitfleet.Core.Facts.InventoryDigest"/>, computed once by the caller. Group-committed.
    /// False when the device is unknown.
    /// </summary>
    Task<bool> ReplaceChangedInventoryAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> attributes, ulong digest, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>PUT (replace = true) or PATCH the device's tags.</summary>
    Task<bool> SaveTagsAsync(string deviceId, IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> tags, bool replace, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<AttributeRecord>> GetAttributesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);

    /// <summary>Every attribute of every device, ordered by device id (for the facts view).</summary>
    IAsyncEnumerable<AttributeRecord> StreamAttributesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes values the server learned from the devices' check-ins (scope "provides", e.g. rootfs-image.version
    /// from device_provides), in one transaction; values of devices that no longer exist are dropped.
    /// </summary>
    Task SaveProvidedAsync(IReadOnlyCollection<ProvidedAttribute> values, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every value of scope "provides" (for the in-memory last-known values at start).</summary>
    IAsyncEnumerable<ProvidedAttribute> StreamProvidedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A short text that changes when devices join or leave, change status, get their device type, or their tags
    /// change: what can change a branch's membership without a commit (the git watcher plans again then).
    /// </summary>
    Task<string> FleetFingerprintAsync(CancellationToken cancellationToken);

    Task<bool> SetGroupAsync(string deviceId, string? group, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ListGroupsAsync(CancellationToken cancellationToken);
}

public interface IUserStore
{
    Task<UserRecord?> FindUserAsync(string email, CancellationToken cancellationToken);

    Task<UserRecord?> GetUserAsync(string id, CancellationToken cancellationToken);

    /// <summary>Creates the user unless one with that email exists; returns true when created.</summary>
    Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken);

    Task CreateAccessTokenAsync(AccessTokenRecord token, CancellationToken cancellationToken);

    Task<IReadOnlyList<AccessTokenRecord>> ListAccessTokensAsync(string? userId, CancellationToken cancellationToken);

    Task<bool> DeleteAccessTokenAsync(string userId, string tokenId, CancellationToken cancellationToken);

    /// <summary>Records a revoked login session token (logout) until it expires; forgets those expired by <paramref name="now"/>.</summary>
    Task RevokeTokenAsync(string tokenId, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Revoked session tokens that have not expired by <paramref name="now"/>.</summary>
    Task<IReadOnlyList<RevokedToken>> ListRevokedTokensAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

public interface IArtifactStore
{
    /// <summary>Stores the artifact unless one with the same name shares a device type; returns the conflicting one then.</summary>
    Task<ArtifactRecord?> InsertArtifactAsync(ArtifactRecord artifact, CancellationToken cancellationToken);

    Task<ArtifactRecord?> GetArtifactAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ArtifactRecord>> ListArtifactsAsync(string? name, bool includeGenerated, CancellationToken cancellationToken);

    /// <summary>Deletes an artifact no unfinished deployment uses: Deleted, NotFound or InUse.</summary>
    Task<ArtifactDeleteOutcome> DeleteArtifactAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> generated (configuration) artifacts that no deployment can need again:
    /// generated before <paramref name="before"/>, and every deployment of their name finished before it (or none
    /// exists). Returns the deleted records, oldest first, so the caller removes their files.
    /// </summary>
    Task<IReadOnlyList<ArtifactRecord>> DeleteSpentGeneratedArtifactsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}

public enum ArtifactDeleteOutcome
{
    Deleted,
    NotFound,
    InUse,
}

public interface IDeploymentStore
{
    /// <summary>
    /// Writes the deployment and its device rows in one transaction. With an idempotency key that an earlier
    /// deployment already used, nothing is written and that deployment is returned (also under concurrent calls).
    /// </summary>
    Task<CreateDeploymentOutcome> CreateDeploymentAsync(NewDeployment deployment, CancellationToken cancellationToken);

    Task<DeploymentRecord?> GetDeploymentAsync(string id, CancellationToken cancellationToken);

    Task<DeploymentRecord?> FindDeploymentByIdempotencyKeyAsync(string key, CancellationToken cancellationToken);

    Task<Page<DeploymentRecord>> ListDeploymentsAsync(DeploymentQuery query, CancellationToken cancellationToken);

    /// <summary>Device-deployment counts per status.</summary>
    Task<IReadOnlyDictionary<DeviceDeploymentState, long>> GetStatisticsAsync(string deploymentId, CancellationToken cancellationToken);

    /// <summary>Deployment counts per status (for metrics).</summary>
    Task<IReadOnlyDictionary<DeploymentState, long>> CountDeploymentsByStatusAsync(CancellationToken cancellationToken);

    Task<Page<DeviceDeploymentRecord>> ListDeviceDeploymentsAsync(string deploymentId, int page, int perPage, CancellationToken cancellationToken);

    /// <summary>A device's deployments, newest first.</summary>
    Task<IReadOnlyList<DeviceDeploymentView>> ListDeviceHistoryAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>The device's oldest unfinished device deployment (FIFO by creation time), with its deployment.</summary>
    Task<DeviceDeploymentView?> GetNextForDeviceAsync(string deviceId, CancellationToken cancellationToken);

    Task<DeviceDeploymentView?> GetDeviceDeploymentAsync(string deploymentId, string deviceId, CancellationToken cancellationToken);

    Task<DeviceDeploymentRecord?> GetDeviceDeploymentByIdAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a device's status report and updates the deployment's status in the same transaction. A failure
    /// with retries left puts the device back to pending (a new attempt); leaving pending counts an attempt.
    /// Null when the row is unknown.
    /// </summary>
    Task<StatusChangeOutcome?> UpdateDeviceStatusAsync(string deviceDeploymentId, DeviceDeploymentState status, string? substate, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Aborts every unfinished device of a deployment; returns their device ids, or null when the deployment is unknown.</summary>
    Task<IReadOnlyList<string>?> AbortDeploymentAsync(string deploymentId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Aborts every unfinished deployment of one device; returns how many.</summary>
    Task<int> AbortDeviceAsync(string deviceId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A device's deployment log (group-committed).</summary>
    Task SaveLogAsync(string deviceDeploymentId, IReadOnlyList<DeploymentLogMessage> messages, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeploymentLogMessage>?> GetLogAsync(string deviceDeploymentId, CancellationToken cancellationToken);

    /// <summary>Ids of devices that have an unfinished device deployment (the in-memory pending index at start).</summary>
    IAsyncEnumerable<string> StreamDevicesWithUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>Every unfinished device deployment with its deployment, ordered by device id (for the facts view).</summary>
    IAsyncEnumerable<DeviceDeploymentView> StreamUnfinishedAsync(CancellationToken cancellationToken);
}

public interface IConfigurationStore
{
    Task<ConfigurationRecord?> GetConfigurationAsync(string deviceId, CancellationToken cancellationToken);

    Task SetConfiguredAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The configuration the device reports it applied (group-committed).</summary>
    Task SetReportedAsync(string deviceId, IReadOnlyDictionary<string, string> configuration, DateTimeOffset now, CancellationToken cancellationToken);

    Task SetConfigurationDeploymentAsync(string deviceId, string deploymentId, CancellationToken cancellationToken);

    /// <summary>Every device's configuration, ordered by device id (for the facts view).</summary>
    IAsyncEnumerable<ConfigurationRecord> StreamConfigurationsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The reconciler's state: each branch's applied target and rollout, and the bulk reads and writes the rollout
/// engine needs (one observed-state read per decision, one transaction per decision).
/// </summary>
public interface IReconcileStore
{
    Task<IReadOnlyList<BranchRecord>> ListBranchesAsync(CancellationToken cancellationToken);

    /// <summary>The branch's applied target, or null.</summary>
    Task<Gitfleet.Core.Reconcile.BranchTarget?> GetTargetAsync(string branch, CancellationToken cancellationToken);

    /// <summary>Stores a branch's new target (a new target generation); the branch's last seen commit becomes its commit.</summary>
    Task<BranchRecord> SaveTargetAsync(NewBranchTarget target, CancellationToken cancellationToken);

    /// <summary>What the git watcher saw on a branch: its newest commit and that commit's validation errors (empty when valid).</summary>
    Task<BranchRecord> SaveObservationAsync(string branch, string? lastSeenCommit, IReadOnlyList<string> errors, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<RolloutDeviceRecord>> ListRolloutDevicesAsync(string branch, CancellationToken cancellationToken);

    /// <summary>The branch's last good target (its last rollout that completed with no failed device), or null.</summary>
    Task<GoodTarget?> GetGoodTargetAsync(string branch, CancellationToken cancellationToken);

    Task SaveGoodTargetAsync(GoodTarget target, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stores a revert target (the last good target, for the devices of a reverted rollout) and remembers the reverted commit, in one transaction.</summary>
    Task<BranchRecord> SaveRevertTargetAsync(NewBranchTarget target, string revertedCommit, CancellationToken cancellationToken);

    /// <summary>Writes one rollout decision in one transaction (see <see cref="RolloutCommit"/>).</summary>
    Task CommitRolloutAsync(RolloutCommit commit, CancellationToken cancellationToken);

    /// <summary>The status of the given device parts (unknown parts are left out).</summary>
    Task<IReadOnlyList<DevicePartOutcome>> GetDevicePartsAsync(IReadOnlyCollection<DevicePart> parts, CancellationToken cancellationToken);

    /// <summary>Deployment logs by device-deployment id.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<DeploymentLogMessage>>> GetLogsAsync(IReadOnlyCollection<string> deviceDeploymentIds, CancellationToken cancellationToken);

    /// <summary>
    /// The observed state the rollout engine compares with targets, for every device: status, device type, artifact
    /// name, the installed image (rootfs-image.version reported in the inventory, else captured from check-ins), the
    /// reported configuration, the last check-in and the unfinished deployments. The same data as the facts
    /// document, without what only planning needs (identity, tags, other attributes). Reads run in parallel;
    /// with <paramref name="previous"/>, only devices whose rows were stamped since it are read (everything every
    /// few minutes), unchanged devices keep their facts, and reported configurations are read again only when their
    /// stored checksum changed.
    /// </summary>
    /// <param name="lastCheckIn">Fresher check-in times than the store's (the server keeps them in memory).</param>
    Task<ObservedState> LoadObservedAsync(ObservedState? previous, DateTimeOffset now, Func<string, DateTimeOffset?>? lastCheckIn, CancellationToken cancellationToken);
}
