using System.Globalization;
using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;

namespace Gitfleet.Core.Delivery;

/// <summary>
/// A plan's bytes over the air (<see cref="TransferEstimator"/> on the plan's devices, the branch's rollout policy and
/// the server's catalog), and what the branch's byte budget says about them.
/// </summary>
public static class PlanTransfer
{
    public static TransferEstimate Estimate(Plan plan, IReadOnlyList<DeviceFacts> facts, RolloutPolicy policy, TransferCatalog? catalog)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(policy);
        var byId = new Dictionary<string, DeviceFacts>(facts.Count, StringComparer.Ordinal);
        foreach (var device in facts)
        {
            byId[device.Id] = device;
        }

        var changing = plan.Devices.Where(d => d.DeviceId is not null && d.HasChanges).ToList();
        var images = changing.Where(d => d.Os.Kind == ActionKind.Update && d.Os.To is not null)
            .Select(d => new TransferDevice(d.DeviceId!, d.DeviceType, d.Os.From, d.Os.To!,
                byId.TryGetValue(d.DeviceId!, out var known) && DeltaSupport.Applies(known.Attributes)))
            .ToList();
        var estimate = TransferEstimator.Estimate(changing.Select(d => d.DeviceId!).ToList(), images, policy, plan.Commit?.Sha ?? "", catalog ?? TransferCatalog.Empty);
        return catalog is null ? estimate with { HasCatalog = false } : estimate;
    }

    /// <summary>Warnings for people: the change is above warnAbove, a wave exceeds perWave (it is held back), perHour makes it slow.</summary>
    public static IReadOnlyList<string> Warnings(TransferEstimate estimate, ByteBudgetPolicy budget)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        ArgumentNullException.ThrowIfNull(budget);
        var warnings = new List<string>();
        if (budget.WarnAbove is { } limit && estimate.TotalBytes > limit)
        {
            warnings.Add($"this change moves {ByteSize.Format(estimate.TotalBytes)} over the air, more than the byte budget's warnAbove of {ByteSize.Format(limit)}");
        }

        if (budget.PerWave is { } perWave)
        {
            foreach (var wave in estimate.Waves.Where(w => w.Bytes > perWave))
            {
                warnings.Add($"wave {wave.Wave} needs {ByteSize.Format(wave.Bytes)}, more than perWave ({ByteSize.Format(perWave)}): its devices are admitted in slices as the budget allows");
            }
        }

        if (budget.PerHour is { } perHour && estimate.TotalBytes > perHour)
        {
            var hours = (double)estimate.TotalBytes / perHour;
            warnings.Add($"at perHour {ByteSize.Format(perHour)} the downloads take at least {hours.ToString("0.#", CultureInfo.InvariantCulture)} hours");
        }

        if (estimate.UnknownDevices > 0 && estimate.HasCatalog)
        {
            warnings.Add($"{estimate.UnknownDevices} devices update to images whose size the server does not know (not uploaded yet?): their bytes are not counted");
        }

        return warnings;
    }
}
