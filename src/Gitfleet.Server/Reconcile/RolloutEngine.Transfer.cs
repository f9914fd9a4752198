using Gitfleet.Core.Delivery;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Server.Reconcile;

internal sealed partial class RolloutEngine
{
    /// <summary>
    /// The rollout's bytes over the air for its status (<see cref="RolloutTransfer"/>), null when it moves no OS image.
    /// Estimated again only when a rollout device changed (state or phase), the catalog was read again (a delta became
    /// ready) or the target changed; otherwise the last estimate stands, so an idle decision stays cheap.
    /// </summary>
    private async Task<TransferEstimate?> TransferAsync(BranchRuntime runtime, TargetIndex target, RolloutWork work, bool phasesChanged, CancellationToken cancellationToken)
    {
        var devices = work.NoteTransferDevices();
        if (devices.Count == 0)
        {
            runtime.LastTransfer = null;
            return null;
        }

        var costs = await prices.GetAsync(cancellationToken).ConfigureAwait(false);
        if (runtime.LastTransfer is { } last && ReferenceEquals(last.Costs, costs) && last.Generation == target.Generation && !work.RowsChanged && !phasesChanged)
        {
            return last.Estimate;
        }

        var (waveOf, sizes) = RolloutBreakdown.WavesOf(target, work.Rows);
        var lastWave = Math.Max(0, sizes.Length - 1);
        var estimate = RolloutTransfer.Estimate(
            devices.Select(d => new RolloutTransferDevice(d.Device, waveOf.TryGetValue(d.Device.Key, out var wave) ? wave : lastWave, d.Progress)).ToList(), costs);
        runtime.LastTransfer = (costs, target.Generation, estimate);
        return estimate;
    }
}
