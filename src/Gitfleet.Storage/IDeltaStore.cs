using Gitfleet.Storage.Model;

namespace Gitfleet.Storage;

/// <summary>
/// Delta artifacts and the offers made with them. The claim makes generation happen once per pair across every
/// server sharing the database: the first caller inserts the row and works, the others see it in progress; a claim
/// older than its lease (a server that died mid-way) is taken over.
/// </summary>
public interface IDeltaStore
{
    Task<DeltaRecord?> GetDeltaAsync(DeltaKey key, CancellationToken cancellationToken);

    Task<DeltaRecord?> GetDeltaByIdAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every delta, newest first (for operators and byte estimates).</summary>
    Task<IReadOnlyList<DeltaRecord>> ListDeltasAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims the generation of <paramref name="candidate"/>'s key for <paramref name="candidate"/>.ClaimedBy: inserts it when the
    /// pair has no row, takes over a Generating row claimed before <paramref name="staleBefore"/>, else returns the row as it is.
    /// </summary>
    Task<DeltaClaim> ClaimDeltaAsync(DeltaRecord candidate, DateTimeOffset staleBefore, CancellationToken cancellationToken);

    /// <summary>Marks a claimed delta ready (or failed, with <see cref="DeltaRecord.Error"/>); false when another server took the claim over.</summary>
    Task<bool> FinishDeltaAsync(DeltaRecord finished, CancellationToken cancellationToken);

    /// <summary>Removes deltas (an operator's retry of a failed one, or an artifact's deletion); returns the removed rows.</summary>
    Task<IReadOnlyList<DeltaRecord>> DeleteDeltasAsync(string? id, string? artifactId, CancellationToken cancellationToken);

    /// <summary>Records a delta offer (once per device deployment and attempt).</summary>
    Task RecordDeltaOfferAsync(DeltaOfferRecord offer, CancellationToken cancellationToken);

    /// <summary>
    /// True when the device was offered this delta before and that try did not succeed: an earlier attempt of the same
    /// device deployment, or another device deployment of the device that failed.
    /// </summary>
    Task<bool> DeltaFailedBeforeAsync(string deviceId, string deltaId, string deviceDeploymentId, int attempt, CancellationToken cancellationToken);
}
