using System.Globalization;
using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Yaml;

namespace Gitfleet.Core.Loading;

/// <summary>
/// Reads gitfleet.yml: <c>branches.NAME.{rollout, correctDrift, autoAccept, paused}</c>, <c>groups.NAME.dependsOn</c>
/// and <c>images.NAME.force</c> (the rollout rules for real fleets are in SettingsParser.Rules.cs).
/// </summary>
internal sealed partial class SettingsParser(YamlReader reader)
{
    private static readonly string[] TopKeys = ["branches", "groups", "images"];
    private static readonly string[] BranchKeys = ["rollout", "correctDrift", "autoAccept", "paused"];
    private static readonly string[] RolloutKeys =
    [
        "waves", "maxConcurrent", "failureThreshold", "retries", "soak", "offlineTimeout",
        "completeAt", "timezone", "windows", "blackouts", "pacing", "timeouts", "abort", "byteBudget",
    ];

    /// <summary>The documented ranges (docs/fleet-repository.md): counts of devices, waves, retries.</summary>
    public const int MaxDeviceCount = 10_000_000;

    public const int MaxWaves = 100;

    public const int MaxRetries = 100;

    public FleetSettings Parse(string file, object? root)
    {
        if (root is null)
        {
            return FleetSettings.Default;
        }

        if (root is not YamlMap map)
        {
            reader.Error(DiagnosticCodes.WrongType, SourceLocation.OfFile(file), $"gitfleet.yml must be a mapping with 'branches' and/or 'groups', not {YamlReader.Describe(root)}");
            return FleetSettings.Default;
        }

        reader.CheckKeys(map, "gitfleet.yml", TopKeys);
        var branches = new Dictionary<string, BranchPolicy>(StringComparer.Ordinal);
        if (reader.Map(map, "branches", "gitfleet.yml") is { } branchMap)
        {
            foreach (var (name, value) in branchMap)
            {
                if (value is not YamlMap branch)
                {
                    reader.Error(DiagnosticCodes.WrongType, branchMap.ValueLocation(name), $"branch '{name}' must be a mapping with rollout, correctDrift, autoAccept or paused, not {YamlReader.Describe(value)}");
                    continue;
                }

                branches[name] = ParseBranch(name, branch, branchMap.KeyLocation(name));
            }
        }

        var groups = new Dictionary<string, GroupPolicy>(StringComparer.Ordinal);
        if (reader.Map(map, "groups", "gitfleet.yml") is { } groupMap)
        {
            foreach (var (name, value) in groupMap)
            {
                if (value is not YamlMap group)
                {
                    reader.Error(DiagnosticCodes.WrongType, groupMap.ValueLocation(name), $"group '{name}' must be a mapping with dependsOn, not {YamlReader.Describe(value)}");
                    continue;
                }

                reader.CheckKeys(group, $"group '{name}'", "dependsOn");
                var dependsOn = new List<string>();
                if (reader.List(group, "dependsOn", $"group '{name}'") is { } list)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is string dependency && dependency.Length > 0)
                        {
                            dependsOn.Add(dependency);
                        }
                        else
                        {
                            reader.Error(DiagnosticCodes.WrongType, list.ItemLocation(i), $"dependsOn entries are group names, not {YamlReader.Describe(list[i])}");
                        }
                    }
                }

                groups[name] = new GroupPolicy(dependsOn, groupMap.KeyLocation(name));
            }
        }

        return new FleetSettings(branches, groups) { Images = ParseImages(map) };
    }

    private BranchPolicy ParseBranch(string name, YamlMap branch, SourceLocation location)
    {
        var what = $"branch '{name}'";
        reader.CheckKeys(branch, what, BranchKeys);
        var policy = new BranchPolicy
        {
            CorrectDrift = reader.Bool(branch, "correctDrift", what) ?? false,
            AutoAccept = reader.Bool(branch, "autoAccept", what) ?? false,
            Paused = reader.Bool(branch, "paused", what) ?? false,
            Location = location,
        };
        if (reader.Map(branch, "rollout", what) is not { } rollout)
        {
            return policy;
        }

        var rolloutWhat = $"the rollout of {what}";
        reader.CheckKeys(rollout, rolloutWhat, RolloutKeys);
        var result = RolloutPolicy.AllAtOnce;
        if (reader.List(rollout, "waves", rolloutWhat) is { } waveList)
        {
            var waves = new List<Quantity>();
            for (var i = 0; i < waveList.Count; i++)
            {
                if (ParseQuantity(waveList[i], waveList.ItemLocation(i), "a wave") is { } wave)
                {
                    if (waves.Count > 0 && waves[^1].IsPercent == wave.IsPercent && wave.Value <= waves[^1].Value)
                    {
                        reader.Error(DiagnosticCodes.InvalidValue, waveList.ItemLocation(i), $"waves are cumulative and must grow: {wave} follows {waves[^1]}");
                    }

                    waves.Add(wave);
                }
            }

            if (waveList.Count > MaxWaves)
            {
                reader.Error(DiagnosticCodes.InvalidValue, waveList.Location, $"'waves' lists {waveList.Count} waves; at most {MaxWaves} are allowed");
            }
            else if (waves.Count == 0)
            {
                reader.Error(DiagnosticCodes.InvalidValue, waveList.Location, "'waves' needs at least one wave, for example [10%, 100%]");
            }
            else if (!(waves[^1].IsPercent && waves[^1].Value >= 100))
            {
                reader.Error(DiagnosticCodes.InvalidValue, waveList.ItemLocation(waves.Count - 1), $"the last wave must be 100% so the rollout reaches every device; it is {waves[^1]}");
            }
            else
            {
                result = result with { Waves = waves };
            }
        }

        if (reader.Integer(rollout, "maxConcurrent", rolloutWhat, 1, MaxDeviceCount) is { } maxConcurrent)
        {
            result = result with { MaxConcurrent = maxConcurrent };
        }

        if (rollout.TryGetValue("failureThreshold", out var threshold) && threshold is not null
            && ParseQuantity(threshold, rollout.ValueLocation("failureThreshold"), "failureThreshold") is { } failureThreshold)
        {
            result = result with { FailureThreshold = failureThreshold };
        }

        if (reader.Integer(rollout, "retries", rolloutWhat, 0, MaxRetries) is { } retries)
        {
            result = result with { Retries = retries };
        }

        if (ParseDuration(rollout, "soak", rolloutWhat) is { } soak)
        {
            result = result with { Soak = soak };
        }

        if (ParseDuration(rollout, "offlineTimeout", rolloutWhat) is { } offline)
        {
            result = result with { OfflineTimeout = offline };
        }

        if (reader.Map(rollout, "byteBudget", rolloutWhat) is { } budget)
        {
            result = result with { ByteBudget = new ByteBudgetParser(reader).Parse(budget, $"the byte budget of {what}") };
        }

        return policy with { Rollout = ParseRules(rollout, rolloutWhat, result) };
    }

    private Quantity? ParseQuantity(object? value, SourceLocation location, string what)
    {
        switch (value)
        {
            case long count when count >= 0 && count <= MaxDeviceCount:
                return Quantity.Count((int)count);
            case string text when text.EndsWith('%')
                && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent)
                && percent is >= 0 and <= 100:
                return Quantity.Percent(percent);
            default:
                reader.Error(DiagnosticCodes.InvalidValue, location, $"{what} must be a device count (50, at most {MaxDeviceCount}) or a percentage from 0% to 100% (10%), not {YamlReader.Describe(value)}");
                return null;
        }
    }

    private TimeSpan? ParseDuration(YamlMap map, string key, string what)
    {
        if (!map.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        var text = YamlReader.ScalarToString(value);
        if (DurationText.TryParse(text, out var duration, out var problem))
        {
            return duration;
        }

        reader.Error(DiagnosticCodes.InvalidValue, map.ValueLocation(key), $"'{key}' in {what} {problem}, not {YamlReader.Describe(value)}");
        return null;
    }
}
